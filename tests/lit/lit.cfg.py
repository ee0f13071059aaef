# lit configuration for kiln's textual tests.
#
# Substitutions:
#   %kiln        the kiln command of this build
#   %examples    the examples/ folder of the source tree
#   %python      the Python that runs lit (for Inputs/*.py helpers)
#   %inputs      tests/lit/Inputs
# FileCheck and `not` come from LLVM's tools folder.
import os
import sys

import lit.formats

config.name = "kiln"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".kir", ".kiln", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "tests", "lit")

config.substitutions.append(("%kiln", config.kiln_path))
config.substitutions.append(("%examples", os.path.join(config.kiln_src_root, "examples")))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))

config.environment["PATH"] = os.pathsep.join(
    [config.filecheck_dir, config.environment.get("PATH", "")])
# Keep diagnostics stable: no terminal colors or progress lines.
config.environment["KILN_NO_PROGRESS"] = "1"
# lit runs tests in parallel: OpenMP threads must sleep, not spin, while waiting.
config.environment["OMP_WAIT_POLICY"] = "PASSIVE"
# Compiled kernels are cached on disk ($XDG_CACHE_HOME/kiln): keep the tests'
# cache in the build tree, not in the user's home.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.test_exec_root, "xdg-cache")
