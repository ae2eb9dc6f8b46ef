// An in-process Communicator (Thrill-style mock network): multi-rank logic tested without mpirun.
#pragma once

#include <functional>

#include "dumpmill/shuffle/communicator.hpp"

namespace dumpmill::shuffle {

// Runs body(comm) on `ranks` threads, each with its own endpoint of one in-process
// communicator, joins them, and rethrows the first exception any rank threw.
// Collectives meet at a shared rendezvous (mutex + condition variable + generation
// counter); data moves by copying straight out of the other ranks' buffers.
//
// Misuse that would hang under MPI fails here instead, with std::logic_error:
//  - ranks calling different collectives at the same step, or the same one with
//    different roots or allreduce_sum lengths;
//  - a rank returning from body while another waits in a collective (unequal counts);
// and once one rank has thrown, ranks waiting in (or entering) a collective are released
// with an exception, so run_local always returns.
// Semantics match MpiComm, including the MpiError for counts that would not fit int
// (std::out_of_range for a root outside [0, ranks)). Throws std::invalid_argument if ranks < 1.
void run_local(int ranks, const std::function<void(Communicator&)>& body);

}  // namespace dumpmill::shuffle
