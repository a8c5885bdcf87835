//===- Status.h - the runtime's error reporting -----------------*- C++ -*-===//
//
// Every C API call that fails records a one-line message for the calling
// thread (tfm_last_error) and returns its status.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_RUNTIME_STATUS_H
#define TFM_LIB_RUNTIME_STATUS_H

#include "tfm/Runtime/tfm.h"

#include <string>

namespace tfm::runtime {

/// Records `message` for tfm_last_error and returns `status`.
tfm_status fail(tfm_status status, std::string message);

} // namespace tfm::runtime

#endif // TFM_LIB_RUNTIME_STATUS_H
