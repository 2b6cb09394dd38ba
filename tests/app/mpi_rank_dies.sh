#!/bin/bash
# A rank killed mid-run (SIGKILL, as when a node is lost) must fail the whole `mpirun` job: a
# non-zero exit, mpirun's message naming the rank, nothing on stdout and no --db file.
# Run by ctest in -DSPHERE_WITH_MPI=ON builds. Usage: mpi_rank_dies.sh SPHERE MPIRUN
set -u
sphere=$1 mpirun=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
marker="sphere-fault-test-$$"  # marks this job's ranks
failed=0

fail() {
  echo "FAIL: $*"
  failed=1
}

# The pid of rank $2 among the children of mpirun $1 (found by its environment), or nothing.
rank_pid() {
  local pid env
  for pid in $(pgrep -P "$1"); do
    env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || continue
    if grep -qx "SPHERE_FAULT_TEST=$marker" <<<"$env" &&
       grep -qx "OMPI_COMM_WORLD_RANK=$2" <<<"$env"; then
      echo "$pid"
      return
    fi
  done
}

# Starts `mpirun -n 2 sphere ARGS...` with far more work than it can finish, kills rank 1 as
# soon as it runs, and checks how the job ends.
kill_rank_1() {
  local name=$1
  shift
  "$mpirun" --oversubscribe --allow-run-as-root -x "SPHERE_FAULT_TEST=$marker" -n 2 \
    "$sphere" "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  local job=$! victim="" tries
  for tries in $(seq 1 600); do  # up to about 2 minutes for the ranks to start
    victim=$(rank_pid "$job" 1)
    [ -n "$victim" ] && break
    sleep 0.2
  done
  if [ -z "$victim" ]; then
    kill "$job" 2>/dev/null
    wait "$job"
    fail "$name: rank 1 never appeared"
    return
  fi
  kill -KILL "$victim"
  wait "$job"
  local rc=$?
  [ "$rc" -ne 0 ] || fail "$name: mpirun exited 0 after rank 1 was killed"
  [ ! -s "$dir/$name.out" ] || fail "$name: something was printed: $(head -c 200 "$dir/$name.out")"
  grep -q "rank 1" "$dir/$name.err" || fail "$name: no message naming rank 1: $(cat "$dir/$name.err")"
  echo "$name: mpirun exited $rc, nothing printed; $(grep -m1 'rank 1' "$dir/$name.err")"
}

kill_rank_1 forecast forecast --runs 50000000 --threads 1 --json --db "$dir/forecast.sqlite"
[ ! -e "$dir/forecast.sqlite" ] || fail "forecast: the --db file was written"
kill_rank_1 sensitivity sensitivity --method sobol --output escalation --n 100000 --runs 1000 \
  --threads 1 --json
exit $failed
