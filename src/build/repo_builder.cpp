#include "build/repo_builder.hpp"

#include <fcntl.h>
#include <stdio.h>

#include "build/generated_check.hpp"
#include "build/repo_signing.hpp"


#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "spec/manifest.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace kmpkit::build {
namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// rpmbuild packages with OpenMP threads, which busy-wait between parallel regions by default: with
// several rpmbuilds at once that spinning took half of the CPU time.
ProcessOptions logged(const std::string& log) {
  ProcessOptions o;
  o.log_file = log;
  o.env = {"OMP_WAIT_POLICY=PASSIVE"};
  return o;
}

// Runs a command to completion, output into `log`; returns its exit status (127: not started).
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
  auto r = run_process(argv, logged(log));
  return r.started ? (r.signal ? 128 + r.signal : r.exit_code) : 127;
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

// rpmbuild's and the tools' "No space left on device" is a write failure (exit 7), not a tool's.
ErrorKind failure_kind(const std::string& message) {
  return message.find("No space left on device") != std::string::npos ? ErrorKind::Write : ErrorKind::Tool;
}

// The new repository replaces the old in one step (renameat2 RENAME_EXCHANGE), the old one is then
// removed; where the file system cannot exchange, two renames.
void swap_in(const fs::path& staging, const fs::path& repo) {
  std::error_code ec;
  if (!fs::exists(repo, ec)) {
    fs::rename(staging, repo, ec);
  } else if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, repo.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(staging, ec);
    ec.clear();
  } else {
    const fs::path old = repo.parent_path() / ".repo-old";
    fs::remove_all(old, ec);
    fs::rename(repo, old, ec);
    if (!ec) fs::rename(staging, repo, ec);
    if (!ec) {
      fs::remove_all(old, ec);
      ec.clear();  // the new one is in place; a leftover old copy is removed by the next build
    }
  }
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot put the new repository in place at {}: {}", repo.string(), ec.message()));
}

}  // namespace

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
  const spec::SplitManifest manifest = spec::read_manifest(dir.string());
  for (const char* tool : {"rpmbuild", "createrepo_c", "modifyrepo_c", "rpm"})
    if (!program_available(tool))
      throw Error(ErrorKind::Input, fmt::format("{} not found in PATH (scripts/install-deps.sh installs it)", tool));
  if (!o.gpg_key.empty()) check_signing_key(o.gpg_key);  // before an hour of rpmbuild, not after
  // rpm must know kmpkit's fileattrs and macros, or the KMPs get no dependencies at all.
  auto known = run_process({"rpm", "--eval", "%{?__kmpkit_path:attr}|%{?kmpkit_keep_modules_intact:macros}"});
  if (!known.ok() || known.out.substr(0, known.out.find('\n')) != "attr|macros")
    throw Error(ErrorKind::Input,
                "rpm does not know kmpkit's dependency generator (fileattrs/kmpkit.attr, macros.d/macros.kmpkit): "
                "install them with `cmake --install build`");

  struct Job {
    std::string spec;
    size_t packages;
    double weight;
  };
  std::vector<Job> jobs;
  size_t total_packages = 0;
  for (const auto& s : manifest.specs) {
    Job j{s.file, s.packages.size(),
          static_cast<double>(s.module_files) * 32 + static_cast<double>(s.bytes) / 1e5 +
              static_cast<double>(s.packages.size()) * 10};
    total_packages += j.packages;
    jobs.push_back(std::move(j));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.weight > b.weight; });
  unsigned parallel = o.jobs ? o.jobs : manifest.jobs;
  if (parallel == 0) parallel = std::max(1u, std::thread::hardware_concurrency());
  // The cores shared among the parallel rpmbuilds (each would start a thread per core).
  unsigned threads_each = std::max(1u, std::thread::hardware_concurrency() / parallel);

  // Built in DIR/.repo-new and swapped in at the end: a build that fails (a full disk, a broken
  // spec) leaves the previous DIR/repo as it was.
  const fs::path repo = dir / "repo", staging = dir / ".repo-new", work = dir / "rpmbuild", logs = dir / "logs";
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::remove_all(work, ec);
  fs::create_directories(staging, ec);
  if (!ec) fs::create_directories(logs, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  try {

    auto rpmbuild_argv = [&](const std::string& spec) {
      std::string stem = fs::path(spec).stem().string();
      return std::vector<std::string>{"rpmbuild",
                                      "-bb",
                                      "--define", "_smp_build_nthreads " + std::to_string(threads_each),
                                      "--define", "_topdir " + (work / stem).string(),
                                      "--define", "_sourcedir " + dir.string(),
                                      "--define", "_rpmdir " + staging.string(),
                                      (dir / spec).string()};
    };

    // rpmbuild, `parallel` at a time.
    auto t_rpm = Clock::now();
    struct Running {
      size_t job;
      Clock::time_point start;
      LogWatcher watch;
    };
    std::map<int, Running> running;
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
        auto started = start_process(rpmbuild_argv(j.spec), logged(log));
        r.specs[next] = {j.spec, 0, 0, 0, log};
        if (started.pid < 0) {
          failed = true;
          failure = fmt::format("cannot start rpmbuild for {}: {}", j.spec, started.start_error);
          ++next;
          break;
        }
        running.emplace(started.pid, Running{next, Clock::now(), LogWatcher{log, 0, {}, 0, 0}});
        ++next;
      }
      if (failed && running.empty()) break;
      auto ended = reap_process(false);
      if (ended.pid < 0) {
        for (auto& [p, run] : running) run.watch.poll();
        report();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      auto it = running.find(ended.pid);
      if (it == running.end()) continue;
      Running run = std::move(it->second);
      running.erase(it);
      run.watch.poll();
      SpecBuild& sb = r.specs[run.job];
      sb.status = ended.exit_code;
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
    if (failed) throw Error(ErrorKind::Tool, failure);
    // What rpmbuild wrote: every KMP with the kmod() provides kmpkit depgen generates. A spec that
    // wrote one without is built once more; twice is an error (nothing is published).
    for (int attempt = 0;; ++attempt) {
      auto missing = packages_missing_generated_dependencies(staging.string());
      if (missing.empty()) break;
      if (attempt == 1)
        throw Error(ErrorKind::Tool,
                    fmt::format("rpmbuild wrote {} package(s) without the dependencies kmpkit depgen generates, twice "
                                "(e.g. {}: no kmod() provide for {}); see {}; nothing was published",
                                missing.size(), missing[0].package, missing[0].module, logs.string()));
      std::set<std::string> bad;
      for (const auto& m : missing) bad.insert(m.package);
      for (const auto& s : manifest.specs) {
        bool hit = false;
        for (const auto& p : s.packages) hit |= bad.count(p) > 0;
        if (!hit) continue;
        const std::string& spec = s.file;
        std::string log = (logs / (fs::path(spec).stem().string() + ".rebuild.log")).string();
        if (int rc = run_logged(rpmbuild_argv(spec), log); rc != 0)
          throw Error(ErrorKind::Tool,
                      fmt::format("rpmbuild {} (again: a package lacked its generated dependencies) failed (exit {}); the "
                                  "end of {}:\n{}",
                                  spec, rc, log, tail(log, 25)));
      }
    }
    r.rpmbuild_seconds = since(t_rpm);

    // Signatures change the rpm headers: before the metadata records their checksums.
    if (!o.gpg_key.empty()) {
      if (o.progress) o.progress({"sign", 1, 1});
      std::vector<std::string> rpms;
      for (auto it = fs::recursive_directory_iterator(staging, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file(ec) && it->path().extension() == ".rpm") rpms.push_back(it->path().string());
      std::sort(rpms.begin(), rpms.end());
      sign_rpms(rpms, o.gpg_key, (logs / "rpmsign.log").string(), static_cast<int>(parallel));
    }

    // The repository metadata.
    auto t_repo = Clock::now();
    if (o.progress) o.progress({"createrepo", 1, 1});
    std::string log = (logs / "createrepo.log").string();
    int rc = run_logged({"createrepo_c", "--no-database", "--workers", std::to_string(parallel), staging.string()}, log);
    if (rc != 0) throw Error(ErrorKind::Tool, fmt::format("createrepo_c failed (exit {}):\n{}", rc, tail(log, 25)));
    const std::string& patterns = manifest.patterns_xml;
    if (!patterns.empty()) {
      if (o.progress) o.progress({"patterns", 1, 1});
      log = (logs / "modifyrepo.log").string();
      rc = run_logged({"modifyrepo_c", "--mdtype=patterns", (dir / patterns).string(), (staging / "repodata").string()},
                      log);
      if (rc != 0) throw Error(ErrorKind::Tool, fmt::format("modifyrepo_c failed (exit {}):\n{}", rc, tail(log, 25)));
    }
    if (!o.gpg_key.empty()) sign_repository_metadata(staging.string(), o.gpg_key, (logs / "gpg.log").string());
    r.createrepo_seconds = since(t_repo);
    if (!o.keep_work) fs::remove_all(work, ec);

    for (auto it = fs::recursive_directory_iterator(staging, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".rpm") {
        ++r.rpms;
        r.rpm_bytes += it->file_size(ec);
      }
    }
    r.repo_bytes = directory_bytes(staging.string());
    if (r.rpms != total_packages)
      throw Error(ErrorKind::Tool,
                  fmt::format("rpmbuild wrote {} packages, the split planned {}", r.rpms, total_packages));
  } catch (const Error& e) {
    fs::remove_all(staging, ec);
    if (!o.keep_work) fs::remove_all(work, ec);
    if (e.kind() == ErrorKind::Tool && failure_kind(e.what()) == ErrorKind::Write) throw Error(ErrorKind::Write, e.what());
    throw;
  } catch (...) {
    fs::remove_all(staging, ec);
    if (!o.keep_work) fs::remove_all(work, ec);
    throw;
  }
  swap_in(staging, repo);
  r.repo_dir = repo.string();
  r.total_seconds = since(t0);
  return r;
}

}  // namespace kmpkit::build
