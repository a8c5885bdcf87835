//===- ClientConnection.h - has the client of a request gone away? -*- C++ -*-===//
//
// A generation must stop when its client disconnects, also while the
// handler waits without writing (a request without `stream`).
// cpp-httplib 0.11 does not tell a handler its socket, so the socket is
// found among the process's descriptors by the request's addresses and
// ports (Linux), and polled for the peer's close.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOOLS_SERVER_CLIENTCONNECTION_H
#define TFM_TOOLS_SERVER_CLIENTCONNECTION_H

#include <httplib.h>

namespace mlir::tfm::server {

class ClientConnection {
public:
  explicit ClientConnection(const httplib::Request &request);

  /// True once the peer has closed or reset the connection; false while it
  /// is open, or when the socket was not found.
  bool closed() const;

private:
  int socket = -1;
};

} // namespace mlir::tfm::server

#endif // TFM_TOOLS_SERVER_CLIENTCONNECTION_H
