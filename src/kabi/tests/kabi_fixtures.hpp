#pragma once
// Test roots for kabi diff and verify, built from the real test modules (tests/modules) and the
// real kernel's Module.symvers, and ways to break them one at a time.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "module/kernel_files.hpp"
#include "module/kernel_tree.hpp"
#include "module/module_reader.hpp"
#include "test_env.hpp"

namespace kmpkit::kabi::testing {

namespace fs = std::filesystem;
using kmpkit::test::run;
using kmpkit::test::shell_quote;

using kmpkit::test::read_text;
using kmpkit::test::write_text;

inline void sh(const std::string& cmd) {
  auto r = run(cmd);
  ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.out << r.err;
}

// The release the test modules were built for (the real kernel's).
inline std::string test_kver() {
  auto s = read_text(kmpkit::test::test_modules_dir() + "/KVER");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The real kernel's Module.symvers (vmlinux and its modules).
inline std::string real_symvers() {
  auto tree = locate_kernel_tree(kmpkit::test::kernel_root(), kmpkit::test::kernel_release());
  return tree.symvers.value_or("");
}

inline std::vector<SymversEntry> vmlinux_symvers() {
  std::vector<SymversEntry> out;
  for (auto& e : read_symvers(real_symvers()).value_or(std::vector<SymversEntry>{}))
    if (e.module == "vmlinux") out.push_back(e);
  return out;
}

inline std::string symvers_text(const std::vector<SymversEntry>& entries) {
  std::string s;
  for (const auto& e : entries)
    s += fmt::format("0x{:08x}\t{}\t{}\t{}\t{}\n", e.crc, e.symbol, e.module, e.export_type, e.ns);
  return s;
}

inline std::vector<std::string> test_module_files(const std::string& variant = "plain") {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(kmpkit::test::test_modules_dir() + "/" + variant))
    out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

inline ModuleRecord read_module(const std::string& file) {
  ModuleReader reader;
  auto r = reader.read(file);
  if (auto* e = std::get_if<ReadError>(&r)) throw std::runtime_error(e->file + ": " + e->message);
  return std::get<ModuleRecord>(r);
}

// A root with one kernel: the test modules in lib/modules/KVER/extra/, the real vmlinux exports
// in lib/modules/KVER/Module.symvers, and kmpt_leaf's firmware (fw-1.bin plain, fw-2.bin as .xz).
inline std::string make_root(const std::string& hint = "kmpkit-kabi-root", bool with_modules_symvers = false) {
  std::string root = kmpkit::test::temp_dir(hint);
  std::string kver = test_kver();
  std::string md = root + "/lib/modules/" + kver;
  fs::create_directories(md + "/extra");
  for (auto& f : test_module_files()) fs::copy_file(f, md + "/extra/" + fs::path(f).filename().string());
  auto entries = vmlinux_symvers();
  if (with_modules_symvers) {  // the test build's own exports too (a complete Module.symvers)
    auto own = read_symvers(kmpkit::test::test_modules_dir() + "/Module.symvers").value();
    for (auto& e : own) {
      e.module = "extra/" + fs::path(e.module).filename().string();
      entries.push_back(e);
    }
  }
  write_text(md + "/Module.symvers", symvers_text(entries));
  write_text(root + "/lib/firmware/kmpt/fw-1.bin", "firmware one\n");
  write_text(root + "/lib/firmware/kmpt/fw-2.bin", "firmware two\n");
  sh("xz --check=crc32 " + shell_quote(root + "/lib/firmware/kmpt/fw-2.bin"));
  return root;
}

inline std::string module_dir_of(const std::string& root) { return root + "/lib/modules/" + test_kver(); }

// Rewrites a module's .modinfo: `key` gets `value` (replacing its first occurrence, or appended).
inline void set_modinfo(const std::string& file, const std::string& key, const std::string& value) {
  std::string dir = kmpkit::test::temp_dir("kmpkit-modinfo");
  sh("objcopy -O binary --only-section=.modinfo " + shell_quote(file) + " " + shell_quote(dir + "/mi"));
  std::string raw = read_text(dir + "/mi");
  std::vector<std::string> fields;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    if (end > start) fields.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  bool done = false;
  for (auto& f : fields)
    if (!done && f.starts_with(key + "=")) {
      f = key + "=" + value;
      done = true;
    }
  if (!done) fields.push_back(key + "=" + value);
  std::string out;
  for (auto& f : fields) out += f + std::string(1, '\0');
  write_text(dir + "/mi.new", out);
  sh("objcopy --update-section .modinfo=" + shell_quote(dir + "/mi.new") + " " + shell_quote(file) + " " +
     shell_quote(dir + "/out.ko") + " && cat " + shell_quote(dir + "/out.ko") + " > " + shell_quote(file));
}

// Changes (or, with remove, deletes) one symbol's line in a Module.symvers file.
inline void edit_symvers(const std::string& file, const std::string& symbol, bool remove, uint64_t new_crc = 0) {
  auto entries = read_symvers(file).value();
  std::vector<SymversEntry> out;
  bool found = false;
  for (auto e : entries) {
    if (e.symbol == symbol) {
      found = true;
      if (remove) continue;
      e.crc = new_crc ? new_crc : (e.crc ^ 0x5a5a5a5aULL);
    }
    out.push_back(e);
  }
  ASSERT_TRUE(found) << symbol << " not in " << file;
  write_text(file, symvers_text(out));
}

// A vmlinux symbol that exactly one test module imports, where that module exports nothing (so
// breaking the symbol breaks that module alone). Returns {symbol, module name}.
inline std::pair<std::string, std::string> lone_vmlinux_import() {
  std::set<std::string> vmlinux;
  for (auto& e : vmlinux_symvers()) vmlinux.insert(e.symbol);
  std::map<std::string, std::set<std::string>> users;
  std::set<std::string> exporters;
  for (auto& f : test_module_files()) {
    auto m = read_module(f);
    if (!m.exports.empty()) exporters.insert(m.name);
    for (auto& v : m.versions)
      if (vmlinux.count(v.name)) users[v.name].insert(m.name);
  }
  for (auto& [sym, who] : users)
    if (who.size() == 1 && !exporters.count(*who.begin())) return {sym, *who.begin()};
  return {};
}

// A signing key for sign-file (generated once per test process).
inline std::string signing_key() {
  static std::string key = [] {
    std::string dir = kmpkit::test::temp_dir("kmpkit-signkey");
    write_text(dir + "/x509.genkey",
         "[ req ]\ndefault_bits = 2048\ndistinguished_name = req_distinguished_name\nprompt = no\n"
         "x509_extensions = myexts\n[ req_distinguished_name ]\nCN = kmpkit verify test key\n"
         "[ myexts ]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=digitalSignature\n"
         "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    auto r = run("cd " + shell_quote(dir) +
                 " && openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -config x509.genkey "
                 "-outform PEM -out key.pem -keyout key.pem 2>&1");
    if (r.exit_code != 0) throw std::runtime_error("openssl: " + r.out);
    return dir + "/key.pem";
  }();
  return key;
}

inline std::string sign_file_tool() {
  return kmpkit::test::kernel_root() + "/usr/lib/linux-kbuild-6.1/scripts/sign-file";
}

inline void sign_module(const std::string& file) {
  sh(shell_quote(sign_file_tool()) + " sha256 " + shell_quote(signing_key()) + " " + shell_quote(signing_key()) + " " +
     shell_quote(file));
}

// kmpkit with arguments; the parsed JSON when --json was given and the output is JSON.
struct Kmpkit {
  int exit_code = -1;
  std::string out, err;
  nlohmann::json json;
};

inline Kmpkit kmpkit_run(const std::string& args) {
  auto r = run(shell_quote(kmpkit::test::kmpkit_binary()) + " " + args);
  Kmpkit k{r.exit_code, r.out, r.err, {}};
  if (args.find("--json") != std::string::npos && !r.out.empty() && (r.out[0] == '{' || r.out[0] == '['))
    k.json = nlohmann::json::parse(r.out);
  return k;
}

// verify's findings of one kernel as "check/kind/module/subject" strings, notes left out.
inline std::multiset<std::string> findings_of(const nlohmann::json& report, bool with_notes = false) {
  std::multiset<std::string> out;
  for (auto& k : report["kernels"])
    for (auto& f : k["findings"]) {
      if (!with_notes && f["severity"] == "note") continue;
      out.insert(fmt::format("{}/{}/{}/{}", f["check"].get<std::string>(), f["kind"].get<std::string>(),
                             f["module"].get<std::string>(), f["subject"].get<std::string>()));
    }
  return out;
}

}  // namespace kmpkit::kabi::testing
