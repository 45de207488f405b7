#include "firmware/whence.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <optional>

namespace kmpkit::firmware {
namespace {

// copy-firmware.sh drops every '"' of a name (quotes protect spaces).
std::string unquote(std::string_view s) {
  std::string out;
  for (char c : trim(s))
    if (c != '"') out += c;
  return std::string(trim(out));
}

bool is_separator(std::string_view line) {
  line = trim(line);
  return line.size() >= 10 && std::all_of(line.begin(), line.end(), [](char c) { return c == '-'; });
}

// "Key: value" with one of the keys WHENCE uses; nullopt for other lines.
std::optional<std::string_view> field(std::string_view line, std::string_view key) {
  if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') return std::nullopt;
  return trim(line.substr(key.size() + 1));
}

bool is_header(std::string_view line) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : line.substr(0, colon))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

}  // namespace

Whence parse_whence(std::string_view text) {
  Whence w;
  std::vector<size_t> pending;  // files of the current stanza no licence covers yet
  bool in_licence = false;      // continuation lines extend the last licence text
  auto stanza = [&]() -> WhenceStanza& {
    if (w.stanzas.empty()) w.stanzas.emplace_back();
    return w.stanzas.back();
  };
  auto close_stanza = [&] {
    // Files after the stanza's last licence: that licence is the stanza's (if it has one).
    if (!w.stanzas.empty() && !w.stanzas.back().licences.empty())
      for (size_t f : pending) w.files[f].licence = static_cast<int>(w.stanzas.back().licences.size() - 1);
    pending.clear();
    in_licence = false;
  };
  bool started = false;  // the preamble before the first separator holds no stanza
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (is_separator(line)) {
      close_stanza();
      w.stanzas.emplace_back();
      started = true;
      continue;
    }
    if (!started) continue;
    if (trim(line).empty()) {
      in_licence = false;
      continue;
    }
    if (auto v = field(line, "Driver")) {
      in_licence = false;
      auto& s = stanza();
      if (s.driver.empty()) {
        auto dash = v->find(" - ");
        std::string_view name = dash == std::string_view::npos ? *v : v->substr(0, dash);
        name = trim(name.substr(0, name.find_first_of(" \t")));
        s.driver = std::string(name);
        if (dash != std::string_view::npos) s.description = std::string(trim(v->substr(dash + 3)));
      }
    } else if (auto f = field(line, "File"), r = field(line, "RawFile"); f || r) {
      in_licence = false;
      stanza();
      w.files.push_back({unquote(f ? *f : *r), w.stanzas.size() - 1, -1});
      pending.push_back(w.files.size() - 1);
    } else if (auto l = field(line, "Link")) {
      in_licence = false;
      stanza();
      auto arrow = l->find("->");
      if (arrow != std::string_view::npos)
        w.links.push_back({unquote(l->substr(0, arrow)), unquote(l->substr(arrow + 2)), w.stanzas.size() - 1});
    } else if (auto lic = field(line, "Licence"), lic2 = field(line, "License"); lic || lic2) {
      auto& s = stanza();
      s.licences.push_back({std::string(lic ? *lic : *lic2), ""});
      for (size_t p : pending) w.files[p].licence = static_cast<int>(s.licences.size() - 1);
      pending.clear();
      in_licence = true;
    } else if (auto spdx = field(line, "SPDX-License-Identifier")) {
      auto& s = stanza();
      if (s.licences.empty() || !s.licences.back().spdx.empty() || !pending.empty()) {
        // An identifier without a Licence: line of its own: it covers the pending files.
        s.licences.push_back({"", ""});
        for (size_t p : pending) w.files[p].licence = static_cast<int>(s.licences.size() - 1);
        pending.clear();
      }
      s.licences.back().spdx = std::string(*spdx);
      in_licence = false;
    } else if (in_licence && !is_header(line)) {
      auto& t = stanza().licences.back().text;
      t += "\n";
      t += trim(line);
    } else {
      in_licence = false;
    }
  }
  close_stanza();
  // Drop empty stanzas (separator runs, the trailer).
  std::vector<size_t> index(w.stanzas.size());
  std::vector<WhenceStanza> kept;
  std::vector<bool> used(w.stanzas.size(), false);
  for (const auto& f : w.files) used[f.stanza] = true;
  for (const auto& l : w.links) used[l.stanza] = true;
  for (size_t i = 0; i < w.stanzas.size(); ++i) {
    if (!used[i] && w.stanzas[i].driver.empty()) continue;
    index[i] = kept.size();
    kept.push_back(std::move(w.stanzas[i]));
  }
  for (auto& f : w.files) f.stanza = index[f.stanza];
  for (auto& l : w.links) l.stanza = index[l.stanza];
  w.stanzas = std::move(kept);
  return w;
}

std::string licence_tag(const WhenceLicence& licence) {
  if (!licence.spdx.empty()) return licence.spdx;
  std::string_view t = trim(std::string_view(licence.text).substr(0, licence.text.find('\n')));
  for (size_t i = 0; i + 1 < t.size(); ++i)
    if (t[i] == '.' && t[i + 1] == ' ') return std::string(trim(t.substr(0, i)));
  while (!t.empty() && (t.back() == '.' || t.back() == ',' || t.back() == ':')) t.remove_suffix(1);
  return std::string(trim(t));
}

std::vector<std::string> licence_file_candidates(const WhenceLicence& licence) {
  std::vector<std::string> out;
  auto add = [&](std::string_view word) {
    while (!word.empty() && std::string_view(".,;:()\"'").find(word.back()) != std::string_view::npos)
      word.remove_suffix(1);
    while (!word.empty() && std::string_view("(\"'").find(word.front()) != std::string_view::npos)
      word.remove_prefix(1);
    if (word.starts_with("LicenseRef-")) word.remove_prefix(11);
    if (word.empty() || word.find('/') != std::string_view::npos) return;
    std::string w(word);
    if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
  };
  for (const std::string* s : {&licence.text, &licence.spdx}) {
    std::string_view rest = *s;
    while (!rest.empty()) {
      auto start = rest.find_first_not_of(" \t\n");
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      auto end = rest.find_first_of(" \t\n");
      add(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
  }
  return out;
}

}  // namespace kmpkit::firmware
