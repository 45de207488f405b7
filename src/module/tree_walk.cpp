#include "module/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <type_traits>

#include "module/module_reader.hpp"

namespace kmpkit {
namespace {

bool is_depmod_module_name(std::string_view name, bool include_gz) {
  auto ends = [&](std::string_view sfx) {
    return name.size() > sfx.size() && name.substr(name.size() - sfx.size()) == sfx;
  };
  return ends(".ko") || ends(".ko.xz") || ends(".ko.zst") || (include_gz && ends(".ko.gz"));
}

// `at`/`name`: the directory to open, relative to an open parent (as depmod does: openat, which
// spares resolving the whole path again for every directory).
template <class Out>
void walk(int at, const char* name_at, const std::string& dir, const WalkOptions& options, Out& out) {
  int fd = ::openat(at, name_at, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  int dfd = ::dirfd(d);
  while (dirent* de = ::readdir(d)) {
    std::string_view name = de->d_name;
    if (name == "." || name == ".." || name == "build" || name == "source") continue;
    // depmod skips an excluded name whatever it is (directory or file).
    if (std::find(options.excluded_names.begin(), options.excluded_names.end(), name) !=
        options.excluded_names.end())
      continue;
    bool is_dir;
    if (de->d_type == DT_REG) is_dir = false;
    else if (de->d_type == DT_DIR) is_dir = true;
    else {
      struct stat st {};
      if (::fstatat(dfd, de->d_name, &st, 0) != 0) continue;  // dangling link: depmod skips it too
      if (S_ISREG(st.st_mode)) is_dir = false;
      else if (S_ISDIR(st.st_mode)) is_dir = true;
      else continue;
    }
    std::string path = dir + "/" + std::string(name);
    if (is_dir) {
      walk(dfd, de->d_name, path, options, out);
    } else if (is_depmod_module_name(name, options.include_gz)) {
      if constexpr (std::is_same_v<Out, std::vector<WalkedFile>>) {
        struct stat st {};
        if (::fstatat(dfd, de->d_name, &st, 0) != 0) continue;
        out.push_back({std::move(path), static_cast<uint64_t>(st.st_size),
                       static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                       static_cast<uint64_t>(st.st_ino)});
      } else {
        out.push_back(std::move(path));
      }
    }
  }
  ::closedir(d);
}

}  // namespace

std::vector<std::string> list_module_files(const std::string& module_dir, const WalkOptions& options) {
  std::vector<std::string> out;
  std::string dir = module_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  walk(AT_FDCWD, dir.c_str(), dir, options, out);
  return out;
}

std::vector<WalkedFile> walk_module_files(const std::string& module_dir, const WalkOptions& options) {
  std::vector<WalkedFile> out;
  std::string dir = module_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  walk(AT_FDCWD, dir.c_str(), dir, options, out);
  return out;
}

std::string module_dir_for(const std::string& basedir, const std::string& kver) {
  std::string base = basedir;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/lib/modules/" + kver;
}

}  // namespace kmpkit
