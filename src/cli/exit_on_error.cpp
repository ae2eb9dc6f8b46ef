// One place that turns a collective command's exceptions into a message and an exit code.
#include "dumpmill/cli/exit_on_error.hpp"

#include <cstdio>
#include <exception>
#include <string>

#include "dumpmill/cli/clickstream_pipeline.hpp"
#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {

int exit_on_error(shuffle::MpiComm& comm, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {  // every rank read the same job file and failed the same way
    if (comm.rank() == 0) std::fprintf(stderr, "dumpmill: error: %s\n", e.what());
    return e.exit_code();
  } catch (const CollectiveError& e) {
    if (comm.rank() == 0) std::fprintf(stderr, "dumpmill: error: %s\n", e.what());
    return e.exit_code();
  } catch (const Error& e) {
    std::fprintf(stderr, "dumpmill: error: %s%s\n",
                 comm.size() > 1 ? ("rank " + std::to_string(comm.rank()) + ": ").c_str() : "",
                 e.what());
    std::fflush(stderr);
    if (comm.size() > 1) comm.abort(e.exit_code());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dumpmill: internal error on rank %d: %s\n", comm.rank(), e.what());
    std::fflush(stderr);
    if (comm.size() > 1) comm.abort(1);
    return 1;
  }
}

}  // namespace dumpmill::cli
