#include "tfm/Model/Config.h"
#include "llvm/ADT/StringRef.h"
#include <vector>
