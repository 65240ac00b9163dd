//! The crash child: four writers carry out batches of three commands through the service, as fast as
//! they can, on the ledger in the directory given, and print every acknowledged batch (`ack FIRST
//! LAST`) once it is durable. The crash test (tests/sigkill/crash.rs) SIGKILLs it at random moments.

use std::io::Write;
use std::sync::{Arc, Mutex};

use kpi_ledger::domain::{Actor, Command, Role, UnitCode};
use kpi_ledger::service::admin::LedgerSettings;
use kpi_ledger::service::{RandomIds, SystemClock};

/// Commands per atomic batch: a torn batch would leave a head that is not a multiple of it.
const COMMANDS_PER_BATCH: usize = 3;
const WRITERS: usize = 4;

fn command(json: serde_json::Value) -> Command {
    Command::from_json(&json.to_string()).expect("a valid command")
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: crash-child DIR");
    let records = LedgerSettings::new(dir).open_or_create().expect("the ledger opens");
    let service = Arc::new(records.service(Arc::new(SystemClock), Arc::new(RandomIds)).expect("the service opens"));
    let admin = Actor { id: "admin.ys".into(), role: Role::Admin, unit: UnitCode::new("YS").expect("a code") };
    if service.with_facts(|facts| facts.units.is_empty()) {
        let organisation = [
            serde_json::json!({"command": "RegisterUnit", "payload": {"unit": "YS", "name": "乙市", "level": "city", "parent": null}}),
            serde_json::json!({"command": "RegisterUnit", "payload": {"unit": "YS01", "name": "一县", "level": "county", "parent": "YS"}}),
            serde_json::json!({"command": "RegisterUnit", "payload": {"unit": "YS02", "name": "二县", "level": "county", "parent": "YS"}}),
        ];
        let commands: Vec<Command> = organisation.into_iter().map(command).collect();
        service.execute_all(admin.clone(), &commands).expect("the organisation is registered");
    }
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (service, stdout, admin) = (service.clone(), stdout.clone(), admin.clone());
            std::thread::spawn(move || loop {
                let commands: Vec<Command> = (0..COMMANDS_PER_BATCH)
                    .map(|_| {
                        let person = format!("P{}", uuid::Uuid::now_v7().simple().to_string().to_uppercase());
                        command(serde_json::json!({"command": "RegisterPerson", "payload": {
                            "person": &person[..32], "name": format!("writer {writer}"), "unit": "YS01"}}))
                    })
                    .collect();
                let executed = service.execute_all(admin.clone(), &commands).expect("a batch is durable");
                let (first, last) = (executed[0].first_seq, executed[COMMANDS_PER_BATCH - 1].last_seq);
                let mut out = stdout.lock().expect("stdout lock");
                writeln!(out, "ack {first} {last}").expect("stdout");
                out.flush().expect("stdout");
            })
        })
        .collect();
    writers.into_iter().for_each(|writer| writer.join().expect("a writer"));
}
