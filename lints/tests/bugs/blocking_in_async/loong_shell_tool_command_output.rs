// Source: https://github.com/eastreams/loong/issues/423 (eastreams/loong#423, "[RFC] Async Shell Execution — Replace Blocking Command with tokio::process")
// What happened: crates/app/src/tools/shell.rs ran `std::process::Command::new(..).output()` inside the
// tokio runtime. That blocks a worker thread for the whole life of the child process. A long
// `cargo build` takes 12-25% of the runtime's capacity, and several concurrent tool calls can
// deadlock the runtime. Nothing can time the command out or cancel it.
use std::process::Command;

pub async fn execute_shell_tool(normalized_command: String, args: Vec<String>, cwd: String) -> Result<String, String> {
    let output = Command::new(&normalized_command)
        .args(&args)
        .current_dir(&cwd)
        .output() // blocking wait for the child process, on the async worker thread
        .map_err(|error| format!("shell command spawn failed: {error}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
