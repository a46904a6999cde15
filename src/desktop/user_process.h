#pragma once

// Acting as a logged-in user from an agent that runs as root: opening a
// connection with the user's credentials, and starting a program as the
// user. Both fork a child that drops to the user's uid and gid (with no
// supplementary groups) before it touches anything of the user's.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_descriptor.h"

namespace pk::desktop {

struct UserIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Connects a Unix stream socket to `path`. When `user` is not this
// process's effective uid, a child process running as `user` connects and
// passes the connected socket back over SCM_RIGHTS. The peer (a session bus)
// then reads the user's credentials in SO_PEERCRED, while this process keeps
// the socket. Fails with kIoError naming the path when connecting fails,
// and with kInvalidArgument when the path is too long.
Result<int> connectUnixSocketAs(const std::string& path, const UserIdentity& user);

// Starts `argv` (argv[0] an absolute path) as `user` with exactly
// `environment` ("NAME=value") and standard input from /dev/null, standard
// output and error to this process's standard error. When `user` is this
// process's effective uid no credentials are changed. The child gets SIGTERM
// when the calling thread ends (PR_SET_PDEATHSIG), so call it from a thread
// that outlives the program. Returns the child's pid; the caller reaps it.
// Fails with kIoError when fork fails.
Result<pid_t> startProgramAs(const std::vector<std::string>& argv,
                             const std::vector<std::string>& environment, const UserIdentity& user);

}  // namespace pk::desktop
