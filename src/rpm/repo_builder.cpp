#include "rpm/repo_builder.hpp"

#include "rpm/generated_check.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rpm/spec_writer.hpp"
#include "util/exit_codes.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace kmpkit::rpm {
namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Starts argv with stdout and stderr appended to `log`; returns the pid (or -1).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    // rpmbuild packages with OpenMP threads, which busy-wait between parallel regions by default:
    // with several rpmbuilds at once that spinning took half of the CPU time.
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s\n", args[0]);
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

int wait_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// Runs a command to completion, output into `log`; returns its exit status.
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = spawn(argv, log);
  if (pid < 0) return 127;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return wait_status(status);
}

std::string tail(const std::string& file, size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> q;
  for (std::string l; std::getline(in, l);) {
    q.push_back(l);
    if (q.size() > lines) q.pop_front();
  }
  std::string out;
  for (auto& l : q) out += "    " + l + "\n";
  return out;
}

// Counts "Wrote: " lines appended to a log since the last call.
struct LogWatcher {
  std::string file;
  std::streamoff offset = 0;
  std::string partial;
  size_t wrote = 0;
  size_t processed = 0;  // "Processing files: " (dependency generation, the slow part)
  void poll() {
    std::ifstream in(file, std::ios::binary);
    if (!in) return;
    in.seekg(offset);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset += static_cast<std::streamoff>(chunk.size());
    partial += chunk;
    size_t start = 0, nl;
    while ((nl = partial.find('\n', start)) != std::string::npos) {
      if (partial.compare(start, 7, "Wrote: ") == 0) ++wrote;
      else if (partial.compare(start, 18, "Processing files: ") == 0) ++processed;
      start = nl + 1;
    }
    partial.erase(0, start);
  }
};

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  std::stringstream ss(p);
  for (std::string d; std::getline(ss, d, ':');) {
    if (d.empty()) continue;
    std::string f = d + "/" + name;
    if (::access(f.c_str(), X_OK) == 0) return f;
  }
  return {};
}

uint64_t directory_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

BuildResult build_repository(const BuildOptions& o) {
  BuildResult r;
  auto t0 = Clock::now();
  const fs::path dir = fs::absolute(o.dir).lexically_normal();
  auto fail = [&](int code, std::string msg) {
    r.exit_code = code;
    r.error = std::move(msg);
    r.total_seconds = since(t0);
    return r;
  };

  // The manifest of the split.
  nlohmann::json manifest;
  {
    std::ifstream in(dir / kManifestName);
    if (!in)
      return fail(exit_code::input_missing,
                  fmt::format("{}: no {} (run kmpkit split --out {} first)", dir.string(), kManifestName, dir.string()));
    try {
      manifest = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      return fail(exit_code::input_missing, fmt::format("{}/{}: {}", dir.string(), kManifestName, e.what()));
    }
  }
  for (const char* tool : {"rpmbuild", "createrepo_c", "modifyrepo_c", "rpm"})
    if (find_program(tool).empty())
      return fail(exit_code::input_missing, fmt::format("{} not found in PATH (scripts/install-deps.sh)", tool));
  // rpm must know kmpkit's fileattrs and macros, or the KMPs get no dependencies at all.
  std::string known = capture("rpm --eval '%{?__kmpkit_path:attr}|%{?kmpkit_keep_modules_intact:macros}' 2>/dev/null");
  if (known != "attr|macros")
    return fail(exit_code::input_missing,
                "rpm does not know kmpkit's dependency generator (fileattrs/kmpkit.attr, macros.d/macros.kmpkit): "
                "install them with `cmake --install build`");

  struct Job {
    std::string spec;
    size_t packages;
    double weight;
  };
  std::vector<Job> jobs;
  size_t total_packages = 0;
  for (const auto& s : manifest.at("specs")) {
    Job j{s.at("file").get<std::string>(), s.at("packages").size(),
          static_cast<double>(s.value("module_files", 0)) * 32 + static_cast<double>(s.value("bytes", 0)) / 1e5 +
              static_cast<double>(s.at("packages").size()) * 10};
    total_packages += j.packages;
    jobs.push_back(std::move(j));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.weight > b.weight; });
  unsigned parallel = o.jobs ? o.jobs : manifest.value("jobs", 0u);
  if (parallel == 0) parallel = std::max(1u, std::thread::hardware_concurrency());
  // The cores shared among the parallel rpmbuilds (each would start a thread per core).
  unsigned threads_each = std::max(1u, std::thread::hardware_concurrency() / parallel);

  const fs::path repo = dir / "repo", work = dir / "rpmbuild", logs = dir / "logs";
  std::error_code ec;
  fs::remove_all(repo, ec);
  fs::remove_all(work, ec);
  fs::create_directories(repo, ec);
  fs::create_directories(logs, ec);
  if (ec) return fail(exit_code::io_error, fmt::format("cannot create {}: {}", repo.string(), ec.message()));
  r.repo_dir = repo.string();

  auto rpmbuild_argv = [&](const std::string& spec) {
    std::string stem = fs::path(spec).stem().string();
    return std::vector<std::string>{"rpmbuild",
                                    "-bb",
                                    "--define", "_smp_build_nthreads " + std::to_string(threads_each),
                                    "--define", "_topdir " + (work / stem).string(),
                                    "--define", "_sourcedir " + dir.string(),
                                    "--define", "_rpmdir " + repo.string(),
                                    (dir / spec).string()};
  };

  // rpmbuild, `parallel` at a time.
  auto t_rpm = Clock::now();
  struct Running {
    size_t job;
    Clock::time_point start;
    LogWatcher watch;
  };
  std::map<pid_t, Running> running;
  size_t next = 0, done_packages = 0;
  bool failed = false;
  std::string failure;
  r.specs.resize(jobs.size());
  auto report = [&] {
    if (!o.progress) return;
    // Two steps a package: its files processed (dependency generators), its rpm written.
    size_t n = 2 * done_packages;
    for (auto& [pid, run] : running) n += run.watch.processed + run.watch.wrote;
    o.progress({"rpmbuild", std::min(n, 2 * total_packages), 2 * total_packages});
  };
  while (next < jobs.size() || !running.empty()) {
    while (!failed && next < jobs.size() && running.size() < parallel) {
      const Job& j = jobs[next];
      std::string stem = fs::path(j.spec).stem().string();
      std::string log = (logs / (stem + ".log")).string();
      fs::create_directories(work / stem, ec);
      pid_t pid = spawn(rpmbuild_argv(j.spec), log);
      r.specs[next] = {j.spec, 0, 0, 0, log};
      if (pid < 0) {
        failed = true;
        failure = fmt::format("cannot start rpmbuild for {}", j.spec);
        ++next;
        break;
      }
      running.emplace(pid, Running{next, Clock::now(), LogWatcher{log, 0, {}, 0, 0}});
      ++next;
    }
    if (failed && running.empty()) break;
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid == 0 || (pid < 0 && errno == EINTR)) {
      for (auto& [p, run] : running) run.watch.poll();
      report();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    Running run = std::move(it->second);
    running.erase(it);
    run.watch.poll();
    SpecBuild& sb = r.specs[run.job];
    sb.status = wait_status(status);
    sb.seconds = since(run.start);
    sb.packages = run.watch.wrote;
    done_packages += sb.packages;
    if (sb.status != 0 && !failed) {
      failed = true;
      failure = fmt::format("rpmbuild {} failed (exit {}); the end of {}:\n{}", sb.spec, sb.status, sb.log,
                            tail(sb.log, 25));
    }
    report();
  }
  if (failed) {
    r.rpmbuild_seconds = since(t_rpm);
    return fail(exit_code::tool_failed, failure);
  }
  // What rpmbuild wrote: every KMP with the kmod() provides kmpkit depgen generates. A spec that
  // wrote one without is built once more; twice is an error (nothing is published).
  for (int attempt = 0;; ++attempt) {
    std::vector<MissingDependencies> missing;
    try {
      missing = packages_missing_generated_dependencies(repo.string());
    } catch (const std::exception& e) {
      return fail(exit_code::tool_failed, e.what());
    }
    if (missing.empty()) break;
    if (attempt == 1)
      return fail(exit_code::tool_failed,
                  fmt::format("rpmbuild wrote {} package(s) without the dependencies kmpkit depgen generates, twice "
                              "(e.g. {}: no kmod() provide for {}); see {}; nothing was published",
                              missing.size(), missing[0].package, missing[0].module, logs.string()));
    std::set<std::string> bad;
    for (const auto& m : missing) bad.insert(m.package);
    for (const auto& s : manifest.at("specs")) {
      bool hit = false;
      for (const auto& p : s.at("packages")) hit |= bad.count(p.get<std::string>()) > 0;
      if (!hit) continue;
      std::string spec = s.at("file");
      std::string log = (logs / (fs::path(spec).stem().string() + ".rebuild.log")).string();
      if (int rc = run_logged(rpmbuild_argv(spec), log); rc != 0)
        return fail(exit_code::tool_failed,
                    fmt::format("rpmbuild {} (again: a package lacked its generated dependencies) failed (exit {}); the "
                                "end of {}:\n{}",
                                spec, rc, log, tail(log, 25)));
    }
  }
  r.rpmbuild_seconds = since(t_rpm);

  // The repository metadata.
  auto t_repo = Clock::now();
  if (o.progress) o.progress({"createrepo", 1, 1});
  std::string log = (logs / "createrepo.log").string();
  int rc = run_logged({"createrepo_c", "--no-database", "--workers", std::to_string(parallel), repo.string()}, log);
  if (rc != 0)
    return fail(exit_code::tool_failed, fmt::format("createrepo_c failed (exit {}):\n{}", rc, tail(log, 25)));
  std::string patterns = manifest.value("patterns_xml", "");
  if (!patterns.empty()) {
    if (o.progress) o.progress({"patterns", 1, 1});
    log = (logs / "modifyrepo.log").string();
    rc = run_logged({"modifyrepo_c", "--mdtype=patterns", (dir / patterns).string(), (repo / "repodata").string()},
                    log);
    if (rc != 0)
      return fail(exit_code::tool_failed, fmt::format("modifyrepo_c failed (exit {}):\n{}", rc, tail(log, 25)));
  }
  r.createrepo_seconds = since(t_repo);
  if (!o.keep_work) fs::remove_all(work, ec);

  for (auto it = fs::recursive_directory_iterator(repo, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".rpm") {
      ++r.rpms;
      r.rpm_bytes += it->file_size(ec);
    }
  }
  r.repo_bytes = directory_bytes(repo.string());
  if (r.rpms != total_packages)
    return fail(exit_code::tool_failed,
                fmt::format("rpmbuild wrote {} packages, the split planned {}", r.rpms, total_packages));
  r.total_seconds = since(t0);
  return r;
}

}  // namespace kmpkit::rpm
