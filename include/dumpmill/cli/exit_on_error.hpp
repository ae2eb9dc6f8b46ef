// How a collective command ends on an error: one message, the right exit code, no rank left
// hanging.
#pragma once

#include <functional>

#include "dumpmill/shuffle/mpi_comm.hpp"

namespace dumpmill::cli {

// Runs `body` and returns its exit code; on an exception returns the error's exit code after
// printing one `dumpmill: error:` line:
// - ConfigError and CollectiveError: every rank has the same error, so rank 0 prints it and
//   every rank returns normally;
// - any other dumpmill::Error or std::exception: only this rank knows, so it prints the error
//   with its rank and calls MPI_Abort (with more than one rank), or the others would wait in
//   their next collective forever.
int exit_on_error(shuffle::MpiComm& comm, const std::function<int()>& body);

}  // namespace dumpmill::cli
