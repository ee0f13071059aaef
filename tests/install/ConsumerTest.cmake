# Installs this build into PREFIX, builds tests/install/consumer against the
# installed package (find_package(kiln)) and runs it on PROGRAM.
#   cmake -DBUILD=... -DPREFIX=... -DCONSUMER=... -DPROGRAM=... -P ConsumerTest.cmake
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
file(REMOVE_RECURSE ${PREFIX})
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX})
foreach(f include/kiln/api/Session.h include/kiln/ir/Ops.def lib/cmake/kiln/kilnConfig.cmake bin/kiln)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
run(${CMAKE_COMMAND} -S ${CONSUMER} -B ${PREFIX}/consumer-build -G Ninja
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${PREFIX})
run(${CMAKE_COMMAND} --build ${PREFIX}/consumer-build)
run(${PREFIX}/consumer-build/consumer ${PROGRAM} ${PREFIX}/consumer.ckpt)
