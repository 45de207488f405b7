#pragma once
// One way to run an external program: argv (no shell), optional stdin text, stdout and stderr
// captured (so a failure's message can quote the tool), or passed through.
#include <string>
#include <vector>

namespace kmpkit {

struct ProcessOptions {
  std::string stdin_text;             // written to the program's stdin (then closed)
  bool capture_stdout = true;         // false: inherit kmpkit's stdout
  bool capture_stderr = true;         // false: inherit kmpkit's stderr
  std::vector<std::string> env;       // NAME=VALUE added to (or replacing in) the environment
  std::string stdout_file;            // when set: stdout goes to this file (created/truncated)
  std::string log_file;               // when set: stdout and stderr both go to this file (a tool's log)
};

struct ProcessResult {
  bool started = false;  // false: the program could not be run (not found, not executable)
  int exit_code = -1;    // the exit status; -1 when killed by a signal
  int signal = 0;        // the signal that ended it, 0 if none
  std::string out, err;  // captured output
  std::string start_error;  // why it could not be started

  bool ok() const { return started && exit_code == 0; }
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Programs run in the background (several rpmbuilds at once): start, then reap whichever ends.
// Only output to files (log_file / stdout_file) is supported for them; nothing is captured.
struct StartedProcess {
  int pid = -1;               // -1: it could not be started (start_error says why)
  std::string start_error;
};
StartedProcess start_process(const std::vector<std::string>& argv, const ProcessOptions& options);
struct EndedProcess {
  int pid = -1;               // -1: none ended (non-blocking) or no child left
  int exit_code = -1;         // 128 + signal when killed
};
EndedProcess reap_process(bool block);

// "dracut exited with 1: <last lines of its stderr>" — for messages.
std::string describe_failure(const std::string& program, const ProcessResult& result, size_t tail_lines = 15);

// True when `program` (a name or a path) can be executed: found in PATH, or an executable file.
// The path PATH gives `program` (a path with a slash: itself when executable); "" when none.
std::string find_program(const std::string& program);
bool program_available(const std::string& program);

}  // namespace kmpkit
