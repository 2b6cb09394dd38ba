# `mpirun --oversubscribe -n 3 sphere ARGS` must print the bytes of `sphere ARGS` in one process
# (run by ctest only in a -DSPHERE_WITH_MPI=ON build where mpirun exists).
# Variables: SPHERE (the binary), MPIRUN, and optionally ARGS (one string, split on spaces;
# default: a forecast).
if(NOT DEFINED ARGS)
  set(ARGS "forecast --runs 1300 --seed 9 --horizon 2027-06 --json --threads 1")
endif()
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${SPHERE} ${args} OUTPUT_VARIABLE single RESULT_VARIABLE single_rc)
execute_process(COMMAND ${MPIRUN} --oversubscribe --allow-run-as-root -n 3 ${SPHERE} ${args}
                OUTPUT_VARIABLE ranks RESULT_VARIABLE ranks_rc ERROR_VARIABLE ranks_err)
if(NOT single_rc EQUAL 0 OR NOT ranks_rc EQUAL 0)
  message(FATAL_ERROR "exit codes ${single_rc} / ${ranks_rc}: ${ranks_err}")
endif()
string(LENGTH "${single}" n)
if(n LESS 500)
  message(FATAL_ERROR "single-process output too short (${n} bytes)")
endif()
if(NOT single STREQUAL ranks)
  message(FATAL_ERROR "mpirun -n 3 output differs from the single-process output")
endif()
message(STATUS "mpirun -n 3 sphere ${ARGS}: ${n} bytes, identical to one process")
