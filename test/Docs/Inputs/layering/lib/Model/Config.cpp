#include "tfm/Model/Config.h"
