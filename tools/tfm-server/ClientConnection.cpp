//===- ClientConnection.cpp - has the client of a request gone away? ------===//

#include "ClientConnection.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>

using namespace mlir::tfm::server;

namespace {

/// The numeric address and port of `address`.
bool describe(const sockaddr_storage &address, std::string &host, int &port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto &v4 = reinterpret_cast<const sockaddr_in &>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto &v6 = reinterpret_cast<const sockaddr_in6 &>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    port = ntohs(v6.sin6_port);
  } else {
    return false;
  }
  host = text;
  return true;
}

bool matches(int fd, const httplib::Request &request) {
  sockaddr_storage peer{}, local{};
  socklen_t peerLength = sizeof(peer), localLength = sizeof(local);
  if (getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr *>(&local), &localLength) != 0)
    return false;
  std::string peerHost, localHost;
  int peerPort = 0, localPort = 0;
  return describe(peer, peerHost, peerPort) &&
         describe(local, localHost, localPort) &&
         peerPort == request.remote_port && localPort == request.local_port &&
         peerHost == request.remote_addr;
}

} // namespace

ClientConnection::ClientConnection(const httplib::Request &request) {
  DIR *descriptors = opendir("/proc/self/fd");
  if (!descriptors)
    return;
  while (dirent *entry = readdir(descriptors)) {
    char *end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0')
      continue;
    if (matches(int(fd), request)) {
      socket = int(fd);
      break;
    }
  }
  closedir(descriptors);
}

bool ClientConnection::closed() const {
  if (socket < 0)
    return false;
  pollfd watch{socket, POLLIN | POLLRDHUP, 0};
  if (poll(&watch, 1, 0) <= 0)
    return false;
  if (watch.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
    return true;
  // Readable: bytes of a next request, or the end of the stream.
  char byte;
  return recv(socket, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}
