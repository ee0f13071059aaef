# Writes OUT with `#define KILN_CODEGEN_HASH "<sha256>"` over the files in
# SOURCES (a ;-list), rewriting it only when the hash changes. Compiled
# kernels in the disk cache are keyed by this hash, so a change to the code
# generator (or the math it emits) never reuses an object it made before.
set(all "")
foreach(f IN LISTS SOURCES)
  file(SHA256 "${f}" h)
  string(APPEND all "${h}")
endforeach()
string(SHA256 hash "${all}")
set(text "#define KILN_CODEGEN_HASH \"${hash}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE "${OUT}" "${text}")
endif()
