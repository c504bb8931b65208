//! Running `formwell serve` for the tool's tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Running {
    pub child: Child,
    pub base: String,
}

/// Starts the server on a free port with this record file and templates folder.
pub fn start_with(data: &std::path::Path, templates: &str) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_formwell"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(["--dist", "/nonexistent", "--templates", templates])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("the server printed where it listens").unwrap();
        if let Some(rest) = line.strip_prefix("formwell: serving ") {
            break format!("{}/fhir", rest.split(' ').next().unwrap());
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Running { child, base }
}

/// Starts the server on a free port with this record file and no templates.
pub fn start(data: &std::path::Path) -> Running {
    start_with(data, "/nonexistent")
}

/// Makes a staff token in a record file.
pub fn token(data: &std::path::Path, name: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_formwell"))
        .args(["token", "add", "--name", name, "--data"])
        .arg(data)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A search's total.
pub fn total(base: &str, token: &str, query: &str) -> u64 {
    let mut response =
        ureq::get(&format!("{base}/{query}")).header("authorization", &format!("Bearer {token}")).call().unwrap();
    let body: Value = response.body_mut().read_json().unwrap();
    body["total"].as_u64().unwrap()
}
