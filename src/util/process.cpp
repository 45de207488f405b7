#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

extern char** environ;

namespace kmpkit {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// The child's environment: kmpkit's, with `extra` NAME=VALUE entries added or replaced.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : extra) replaced |= x.substr(0, x.find('=')) == name;
    if (!replaced) env.push_back(std::move(entry));
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& o) {
  ProcessResult r;
  if (argv.empty()) {
    r.start_error = "no program given";
    return r;
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, status_pipe[2] = {-1, -1};
  auto fail = [&](const char* what) {
    r.start_error = fmt::format("{}: {}", what, std::strerror(errno));
    for (int* p : {in, out, err, status_pipe}) close_fd(p[0]), close_fd(p[1]);
    return r;
  };
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(status_pipe, O_CLOEXEC) != 0) return fail("pipe");
  if (o.capture_stdout && o.stdout_file.empty() && ::pipe2(out, O_CLOEXEC) != 0) return fail("pipe");
  if (o.capture_stderr && o.log_file.empty() && ::pipe2(err, O_CLOEXEC) != 0) return fail("pipe");
  int file_fd = -1;
  if (!o.stdout_file.empty() || !o.log_file.empty()) {
    const std::string& file = o.log_file.empty() ? o.stdout_file : o.log_file;
    file_fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (file_fd < 0) return fail(("cannot write " + file).c_str());
  }

  std::vector<std::string> env = child_environment(o.env);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) {
    close_fd(file_fd);
    return fail("fork");
  }
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    if (file_fd >= 0) ::dup2(file_fd, 1);
    else if (out[1] >= 0) ::dup2(out[1], 1);
    if (!o.log_file.empty()) ::dup2(file_fd, 2);
    else if (err[1] >= 0) ::dup2(err[1], 2);
    ::execvpe(cargv[0], cargv.data(), cenv.data());
    int e = errno;  // tell the parent why exec failed, through the close-on-exec status pipe
    (void)!::write(status_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  close_fd(status_pipe[1]);
  close_fd(file_fd);
  int exec_errno = 0;
  if (::read(status_pipe[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno) exec_errno = 0;
  close_fd(status_pipe[0]);

  // Feed stdin and drain stdout/stderr together, so neither side can block the other.
  size_t written = 0;
  if (o.stdin_text.empty() || exec_errno) close_fd(in[1]);
  else ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  char buf[65536];
  while (in[1] >= 0 || out[0] >= 0 || err[0] >= 0) {
    std::vector<pollfd> fds;
    if (in[1] >= 0) fds.push_back({in[1], POLLOUT, 0});
    if (out[0] >= 0) fds.push_back({out[0], POLLIN, 0});
    if (err[0] >= 0) fds.push_back({err[0], POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const auto& p : fds) {
      if (!p.revents) continue;
      if (p.fd == in[1]) {
        ssize_t n = ::write(in[1], o.stdin_text.data() + written, o.stdin_text.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) close_fd(in[1]);  // the program stopped reading
        if (written == o.stdin_text.size()) close_fd(in[1]);
        continue;
      }
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(p.fd == out[0] ? out[0] : err[0]);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (exec_errno) {
    r.start_error = fmt::format("cannot run {}: {}", argv[0], std::strerror(exec_errno));
    return r;
  }
  r.started = true;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

StartedProcess start_process(const std::vector<std::string>& argv, const ProcessOptions& o) {
  StartedProcess p;
  if (argv.empty()) {
    p.start_error = "no program given";
    return p;
  }
  int fd = -1;
  const std::string& file = o.log_file.empty() ? o.stdout_file : o.log_file;
  if (!file.empty()) {
    fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      p.start_error = fmt::format("cannot write {}: {}", file, std::strerror(errno));
      return p;
    }
  }
  std::vector<std::string> env = child_environment(o.env);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    p.start_error = fmt::format("fork: {}", std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return p;
  }
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (fd >= 0) {
      ::dup2(fd, 1);
      if (!o.log_file.empty()) ::dup2(fd, 2);
    }
    ::execvpe(cargv[0], cargv.data(), cenv.data());
    const char* msg = "cannot run the program\n";
    (void)!::write(2, msg, std::strlen(msg));
    ::_exit(127);
  }
  if (fd >= 0) ::close(fd);
  p.pid = pid;
  return p;
}

EndedProcess reap_process(bool block) {
  EndedProcess e;
  int status = 0;
  pid_t pid;
  do {
    pid = ::waitpid(-1, &status, block ? 0 : WNOHANG);
  } while (pid < 0 && errno == EINTR);
  if (pid <= 0) return e;
  e.pid = pid;
  e.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return e;
}

std::string describe_failure(const std::string& program, const ProcessResult& r, size_t tail_lines) {
  if (!r.started) return r.start_error.empty() ? fmt::format("cannot run {}", program) : r.start_error;
  std::string head = r.signal ? fmt::format("{} was killed by signal {}", program, r.signal)
                              : fmt::format("{} exited with {}", program, r.exit_code);
  const std::string& text = r.err.empty() ? r.out : r.err;
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  if (lines.empty()) return head;
  size_t from = lines.size() > tail_lines ? lines.size() - tail_lines : 0;
  std::string s = head + ":";
  for (size_t i = from; i < lines.size(); ++i) s += "\n  " + lines[i];
  return s;
}

std::string find_program(const std::string& program) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return "";
}

bool program_available(const std::string& program) { return !find_program(program).empty(); }

}  // namespace kmpkit
