//! `kpi-ledger serve` and `kpi-ledger token …`: the HTTP server on a data directory, and the local
//! operator's way to hand out and withdraw bearer tokens.
//!
//! Whoever can open the data directory is the root of trust: `token` acts as a local admin of the
//! unit it grants, and records the grant as an ordinary `AccessGranted` event. A running server
//! leaves its address and a read-only token in the data directory (`server.json`, mode 0600), so the
//! reading commands keep working while it holds the ledger.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::domain::{self, Command, Role};
use crate::http::AppState;
use crate::limits::SHUTDOWN_GRACE;
use crate::service::admin::{self, LedgerSettings, ServerInfo};
use crate::service::tokens;
use crate::service::{CommandOptions, Service};

/// The actor id under which the command line records grants and revocations.
const OPERATOR_ACTOR_ID: &str = "local-operator";

/// Opens (or creates) the ledger — the decider and the read models from one reading of the newest
/// snapshot — and serves the API until Ctrl-C.
pub fn serve(settings: &LedgerSettings, addr: SocketAddr) -> Result<(), String> {
    let (service, read_models) = settings.open_server()?;
    serve_with(settings, AppState::with_read_models(service, read_models), addr)
}

/// Serves the API on an opened service until Ctrl-C; prints the address it listens on first.
pub fn serve_service(settings: &LedgerSettings, service: Arc<Service>, addr: SocketAddr) -> Result<(), String> {
    serve_with(settings, AppState::new(service).map_err(|e| e.to_string())?, addr)
}

/// Serves `state` until Ctrl-C, its read models following the head on a thread of their own.
fn serve_with(settings: &LedgerSettings, state: AppState, addr: SocketAddr) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(crate::limits::SERVER_BLOCKING_THREADS_MAX)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let data = settings.data.clone();
    let service = Arc::downgrade(&state.service);
    let share = move |projection: &crate::projection::Projection| {
        if let Some(service) = service.upgrade() {
            service.share_facts(projection);
        }
    };
    state.read_models.follow(share).map_err(|e| format!("the read models' follower: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("--addr {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let read_token = tokens::new_token().map_err(|e| format!("no randomness for a token: {e}"))?;
        let state = state.with_local_read_token(&read_token);
        let info = ServerInfo { addr: bound, read_token, pid: std::process::id() };
        let stop_signal = stop_signal();
        admin::write_server_info(&data, &info).map_err(|e| format!("--data {}: {e}", data.display()))?;
        super::output::emit_line(&format!("listening on http://{bound}"))?;
        // The API and the web site, on the same port.
        let router = crate::site::app(state);
        let (stopping, stop) = tokio::sync::watch::channel(false);
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            stop_signal.await;
            let _ = stopping.send(true);
        });
        // Graceful shutdown waits for open connections, and a live event stream never ends by itself:
        // after the signal the server gets `SHUTDOWN_GRACE` to finish, then the process stops regardless.
        // Every acknowledged command is durable already, so nothing is lost by not waiting longer.
        let deadline = async move {
            let mut stop = stop;
            let _ = stop.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        let served = tokio::select! {
            served = server => served.map_err(|e| e.to_string()),
            () = deadline => Ok(()),
        };
        admin::remove_server_info(&data);
        served
    })
}

/// Ctrl-C (SIGINT) or SIGTERM, as a service manager sends it: registered for when this is called —
/// before the server says it listens, so that a signal sent the moment it does is caught too (the
/// future itself is first polled later, on a task of the server's) — and the future ends on the first.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Issues a token: records its hash with the actor, role and unit, and returns the token (shown once).
/// What a token is issued for.
pub struct Grant<'a> {
    pub actor: &'a str,
    pub role: Role,
    pub unit: &'a str,
    pub note: &'a str,
    /// Days it acts for (`None`: the default of `GrantAccess`).
    pub valid_days: Option<u32>,
    /// The person it speaks for (required for role person).
    pub person: Option<&'a str>,
}

/// Issues a token: records its hash with the actor, role, unit and lifetime, and returns the token
/// (shown once).
pub fn issue_token(service: &Service, grant: &Grant<'_>) -> Result<String, String> {
    let token = tokens::new_token().map_err(|e| format!("no randomness for a token: {e}"))?;
    let mut payload = serde_json::json!({
        "token_hash": tokens::token_hash(&token), "actor_id": grant.actor, "role": grant.role, "unit": grant.unit,
        "note": grant.note
    });
    if let Some(days) = grant.valid_days {
        payload["valid_days"] = days.into();
    }
    if let Some(person) = grant.person {
        payload["person"] = person.into();
    }
    let command = Command::from_payload("GrantAccess", &payload).map_err(|r| r.message)?;
    service.execute(operator(grant.unit)?, &command, CommandOptions::default()).map_err(|e| e.to_string())?;
    Ok(token)
}

pub fn revoke_token(service: &Service, token_hash: &str, reason: &str) -> Result<(), String> {
    let hash = domain::TokenHash::parse(token_hash).map_err(|e| format!("--token-hash: {e}"))?;
    let unit = service
        .access_of(&hash)
        .map(|access| access.unit)
        .ok_or_else(|| format!("--token-hash: no token {token_hash}"))?;
    let payload = serde_json::json!({"token_hash": token_hash, "reason": reason});
    let command = Command::from_payload("RevokeAccess", &payload).map_err(|r| r.message)?;
    service.execute(operator(unit.as_str())?, &command, CommandOptions::default()).map_err(|e| e.to_string())?;
    Ok(())
}

/// The local operator acts as an admin of the unit concerned.
fn operator(unit: &str) -> Result<domain::Actor, String> {
    operator_with_role(unit, Role::Admin)
}

pub fn operator_with_role(unit: &str, role: Role) -> Result<domain::Actor, String> {
    let unit = domain::UnitCode::new(unit).map_err(|e| format!("--unit: {e}"))?;
    Ok(domain::Actor { id: OPERATOR_ACTOR_ID.to_owned(), role, unit })
}
