# -*- Python -*-
# Runs the gtest unit tests (as MLIR's test/Unit does): every test binary in
# the build's test/Unit directory whose name ends in "Tests".

import os

import lit.formats

config.name = "TFM-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.tfm_obj_root, "test", "Unit")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.environment["TFM_MODELS_DIR"] = config.tfm_models_dir
config.environment["TFM_SOURCE_DIR"] = config.tfm_src_root
