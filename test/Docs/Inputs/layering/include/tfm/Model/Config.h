#include "tfm/Runtime/tfm.h"
#include "mlir/IR/Builders.h"
