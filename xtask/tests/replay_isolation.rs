//! A client that no longer builds does not stop the other specs' replay: the replay
//! stage builds each client on its own and replays the rest with only their clients.
//! Run with a stand-in `cargo` (a shell script) that fails to build one client and
//! records every command, so the test needs no broken workspace.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use xtask::check::replay_stage_with;

#[test]
fn a_broken_client_is_reported_and_the_others_replay() {
    let dir = std::env::temp_dir().join(format!("xtask-replay-isolation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    for spec in ["alpha", "broken", "gamma"] {
        std::fs::write(
            dir.join("specs").join(format!("{spec}.yaml")),
            "openapi: 3.0.3\n",
        )
        .unwrap();
    }
    let log = dir.join("cargo.log");
    let cargo = dir.join("cargo");
    // Every build or run that involves the broken client fails like rustc would (101).
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$*\" >> {log}\n\
             case \"$*\" in\n\
               *marketplace-broken*) exit 101 ;;\n\
               run*--features*) exit 0 ;;\n\
               run*) exit 101 ;;\n\
               *) exit 0 ;;\n\
             esac\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();

    let outcome = replay_stage_with(&dir, cargo.as_os_str());

    let why = outcome.expect_err("a client that does not build fails the stage");
    assert!(why.contains("marketplace-broken"), "{why}");
    assert!(why.contains("the other specs replayed"), "{why}");
    let commands = std::fs::read_to_string(&log).unwrap();
    let runs: Vec<&str> = commands.lines().filter(|c| c.starts_with("run")).collect();
    assert_eq!(runs.len(), 2, "{commands}");
    assert!(
        runs[1].contains("--no-default-features --features marketplace-sdk/alpha,marketplace-sdk/gamma --bin replay -- alpha gamma"),
        "{commands}"
    );
    std::fs::remove_dir_all(Path::new(&dir)).unwrap();
}
