#include "build/repo_signing.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::build {
namespace {

std::string gnupg_home() {
  const char* home = std::getenv("GNUPGHOME");
  return home && *home ? home : "~/.gnupg";
}

// gpg without a terminal: no pinentry questions, the agent's key without a passphrase prompt.
std::vector<std::string> gpg(std::initializer_list<std::string> args) {
  std::vector<std::string> argv = {"gpg", "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback",
                                   "--passphrase", ""};
  argv.insert(argv.end(), args);
  return argv;
}

// rpm execs %{__gpg}, which Debian's rpm sets to /usr/bin/gpg2, a name Debian 12 does not have.
std::string gpg_path() {
  std::string gpg = find_program("gpg");
  return gpg.empty() ? "/usr/bin/gpg" : gpg;
}

void run_or_throw(const std::vector<std::string>& argv, const std::string& log, const std::string& what) {
  ProcessOptions o;
  o.log_file = log;
  auto r = run_process(argv, o);
  if (!r.ok())
    throw Error(ErrorKind::Tool, fmt::format("{} failed ({}); see {}", what, r.started ? fmt::format("exit {}", r.exit_code)
                                                                                        : std::string("not started"),
                                             log));
}

}  // namespace

void check_signing_key(const std::string& key_id) {
  auto r = run_process({"gpg", "--batch", "--list-secret-keys", key_id});
  if (!r.started)
    throw Error(ErrorKind::Input, "gpg is not installed (Debian package gnupg): it signs packages and metadata");
  if (!r.ok())
    throw Error(ErrorKind::Usage, fmt::format("--gpg-key {}: gpg has no secret key of that name in GNUPGHOME ({}); "
                                              "list them with `gpg --list-secret-keys`",
                                              key_id, gnupg_home()));
}

void sign_rpms(const std::vector<std::string>& rpms, const std::string& key_id, const std::string& log, int jobs) {
  // rpmsign runs one gpg and rewrites one file per package, on one core: the rpms go into
  // batches (short command lines for thousands of KMPs) run `jobs` at a time, each with its log.
  constexpr size_t kMaxBatch = 400;
  const size_t workers = static_cast<size_t>(std::max(1, jobs));
  const size_t batch = std::clamp<size_t>((rpms.size() + workers - 1) / workers, 1, kMaxBatch);
  const std::string stem = log.ends_with(".log") ? log.substr(0, log.size() - 4) : log;
  std::map<int, std::string> running;  // pid → its log
  std::string failure;
  auto reap_one = [&] {
    auto ended = reap_process(true);
    auto it = running.find(ended.pid);
    if (it == running.end()) return;
    if (ended.exit_code != 0 && failure.empty())
      failure = fmt::format("rpmsign failed (exit {}); see {}", ended.exit_code, it->second);
    running.erase(it);
  };
  size_t n = 0;
  for (size_t i = 0; i < rpms.size() && failure.empty(); i += batch, ++n) {
    while (running.size() >= workers) reap_one();
    if (!failure.empty()) break;
    std::vector<std::string> argv = {
        "rpmsign", "--addsign", "--define", "__gpg " + gpg_path(), "--define", "_gpg_name " + key_id, "--define",
        "_gpg_sign_cmd_extra_args --batch --no-tty --pinentry-mode loopback --passphrase ''"};
    for (size_t k = i; k < rpms.size() && k < i + batch; ++k) argv.push_back(rpms[k]);
    ProcessOptions o;
    o.log_file = n == 0 ? log : fmt::format("{}-{}.log", stem, n + 1);
    auto started = start_process(argv, o);
    if (started.pid < 0) {
      failure = fmt::format("rpmsign could not be started: {}", started.start_error);
      break;
    }
    running.emplace(started.pid, o.log_file);
  }
  while (!running.empty()) reap_one();
  if (!failure.empty()) throw Error(ErrorKind::Tool, failure);
}

void sign_repository_metadata(const std::string& repo, const std::string& key_id, const std::string& log) {
  const std::string repomd = repo + "/repodata/repomd.xml";
  run_or_throw(gpg({"--local-user", key_id, "--armor", "--detach-sign", "--output", repomd + ".asc", repomd}), log,
               "gpg --detach-sign of repomd.xml");
  run_or_throw(gpg({"--armor", "--output", repomd + ".key", "--export", key_id}), log, "gpg --export of the public key");
  std::error_code ec;
  fs::copy_file(repomd + ".key", repo + "/" + kPublicKeyFile, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot write {}/{}: {}", repo, kPublicKeyFile, ec.message()));
}

}  // namespace kmpkit::build
