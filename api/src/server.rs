//! Assembles the HTTP server: the signaling websocket, the web app's static
//! files and a health check, over one SFU.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use sfu::core::SfuConfig;
use sfu::io::SfuHandle;
use signaling::SignalingState;
use signaling::token::TokenVerifier;
use tokio::net::TcpListener;

use crate::api_key::{self, Credentials};
use crate::auth::rate_limit::LoginLimits;
use crate::auth::session::SessionKeys;
use crate::clock::{Clock, SystemClock};
use crate::cluster::Cluster;
use crate::cluster::router::ClusterRouter;
use crate::config::Config;
use crate::model::rooms::lifecycle;
use crate::model::rooms::reconcile::{self, ServerRun};
use crate::reminders::ReminderOutbox;
use crate::state::AppState;
use crate::web_files::WebSource;
use crate::{callbacks, db, demo, http, ops, reminders, room_reaper};

/// A running Confide: where it listens, and how to stop it.
pub struct Running {
    pub http_addr: std::net::SocketAddr,
    /// Whether `http_addr` speaks HTTPS.
    pub https: bool,
    /// The port-80 listener that redirects to HTTPS, when configured.
    pub redirect_addr: Option<std::net::SocketAddr>,
    pub db: crate::db::Db,
    pub media_addr: std::net::SocketAddr,
    pub credentials: Credentials,
    pub sfu: SfuHandle,
    /// Confide's own TURN server, when `[turn]` runs one.
    pub turn: Option<turn::io::TurnHandle>,
    sessions: signaling::state::Sessions,
    /// Writes the SFU's room events; it ends once the SFU has stopped and
    /// its last events are recorded.
    recorder: tokio::task::JoinHandle<()>,
    /// What the handlers reach (tests run housekeeping passes with it).
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    /// The durable queues' runners, the status-callback recorder and the
    /// room reaper: stopped with the server.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Wakes the reminder dispatcher (tests that move the clock use it).
    pub reminder_wake: Arc<tokio::sync::Notify>,
    /// Wakes the status-callback dispatcher (likewise).
    pub callback_wake: Arc<tokio::sync::Notify>,
    /// Turned on by [`Running::stop`]; `/readyz` answers 503 from then on.
    pub draining: crate::ops::Draining,
}

impl Running {
    /// Stops within `shutdown.deadline_secs`: no new joins; every
    /// participant told the server is restarting (53001, so SDKs join again
    /// and keep trying while the next process starts); their departures
    /// recorded and the callbacks owed sent; then the run is closed.
    pub async fn stop(self) {
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.state.config.shutdown.deadline_secs);
        self.state.draining.start();
        // With several nodes, this node's rooms are given back first, so
        // the participants told to reconnect join them again on another
        // node at once.
        if let Some(cluster) = &self.state.cluster {
            cluster.start_draining();
            let left = tokio::time::timeout(LEAVE_TIMEOUT, cluster.leave()).await;
            if !matches!(left, Ok(Ok(()))) {
                tracing::warn!(
                    "leaving the cluster failed: the other nodes place this node's rooms again after its TTL"
                );
            }
        }
        self.sfu.shutdown().await;
        let _ = tokio::time::timeout_at(deadline, self.sessions.all_closed()).await;
        // The participants' last `disconnected` events are recorded before
        // the run ends; whatever did not make it in time is closed by
        // `end_run`, so no participant stays `connected`.
        let _ = tokio::time::timeout_at(deadline, self.recorder).await;
        if tokio::time::timeout_at(deadline, callbacks::settled(&self.state))
            .await
            .is_err()
        {
            tracing::warn!("stopping with status callbacks unsent: the next start sends them");
        }
        // A message being sent is abandoned with its lease, and sent again
        // by the next process to claim it.
        for task in &self.background {
            task.abort();
        }
        // The rest is bounded too: a database that hangs, or a request that
        // never finishes, must not hold the stop past systemd's patience.
        let grace = deadline + Duration::from_secs(5);
        match tokio::time::timeout_at(grace, reconcile::end_run(&self.state)).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "could not close this run's participants"),
            Err(_) => tracing::warn!(
                "closing this run's participants took too long: the next start does it"
            ),
        }
        let _ = self.shutdown.send(());
        if let Some(turn) = &self.turn {
            turn.stop();
        }
        let _ = tokio::time::timeout_at(grace, self.server).await;
    }
}

/// The most a stopping node waits for Redis to take its rooms back (then
/// the others place them after its TTL).
const LEAVE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// Starts with an injected clock (tests move time).
pub async fn start_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let started = Instant::now();
    if let Some(warning) = config.media_reachability_warning() {
        tracing::warn!("{warning}");
    }
    if config.app.end_to_end_encryption && !config.app.encrypts_sessions() {
        tracing::warn!(
            "sessions are not end-to-end encrypted: app.admins_may_join lets a third person in, who would have no key"
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let credentials = api_key::load_or_create(&config.tokens, &config.data_dir)?;
    let url = db::url(config.database_url.as_deref(), &config.data_dir);
    let database = db::connect(&url).await?;
    if let Some(admin) = &config.app.initial_admin {
        let created = demo::ensure_initial_admin(&database, admin, clock.now())
            .await
            .map_err(|e| anyhow::anyhow!("creating the initial admin ({}): {e}", admin.email))?;
        if created {
            tracing::info!(email = %admin.email, "created the initial admin account");
        }
    } else if !config.app.production {
        let demo = demo::seed_if_empty(&database, clock.now())
            .await
            .map_err(|e| anyhow::anyhow!("creating demo accounts: {e}"))?;
        if !demo.is_empty() {
            println!("Demo accounts (shown once; this is not production mode):");
            for account in &demo {
                println!(
                    "  {:<13} {:<24} password {}",
                    account.role.as_str(),
                    account.email,
                    account.password
                );
            }
        }
    }
    let (sfu, room_events) = SfuHandle::start(
        SfuConfig {
            bind: config.media.listen,
            tcp_bind: config.media.tcp_listen,
            advertise: config.media.advertise.clone(),
            max_participants_per_room: config.media.max_participants_per_room,
            socket_buffer_bytes: config.media.socket_buffer_bytes,
            fast_receive: config.media.fast_receive,
            fast_send: config.media.fast_send,
            reconnect_window: Duration::from_secs(config.media.reconnect_window_secs),
            ..SfuConfig::default()
        },
        config.media.worker_count(),
    )
    .with_context(|| {
        format!(
            "binding the media ports ({} and up, one per media worker)",
            config.media.listen
        )
    })?;
    let run = ServerRun::new(sfu.local_addr());
    // Registered in Redis before the database: a run the database lists is
    // one the registry has seen (reconcile's test for dead nodes).
    let cluster = Cluster::join(&config.cluster, &run.id, clock.now().timestamp()).await?;
    let sessions = SessionKeys::load_or_create(&config.data_dir)?;
    if let Some(cluster) = &cluster {
        // The same keys on every node, or users and tokens would work on
        // some nodes only (the load balancer picks one per request).
        let fingerprint = |text: &str| {
            hex::encode(
                &ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref()[..16],
            )
        };
        cluster
            .agree_on(
                "session key",
                &fingerprint(&sessions.access_token(0, 0, 0)),
                "copy data_dir/session.key from a node already running",
            )
            .await?;
        cluster
            .agree_on(
                "API key",
                &fingerprint(&format!(
                    "{}\n{}\n{}",
                    credentials.account_sid, credentials.api_key_sid, credentials.api_key_secret
                )),
                "set the same [tokens] on every node, or copy data_dir/api-key.toml",
            )
            .await?;
        cluster
            .heartbeat(0)
            .await
            .context("registering this node in Redis")?;
    }
    let app_state = AppState {
        db: database.clone(),
        backend: db::Backend::of(&url),
        config: Arc::new(config.clone()),
        credentials: Arc::new(credentials.clone()),
        sessions,
        login_limits: Arc::new(LoginLimits::default()),
        clock: clock.clone(),
        sfu: sfu.clone(),
        reminder_wake: Arc::new(tokio::sync::Notify::new()),
        account_mail_wake: Arc::new(tokio::sync::Notify::new()),
        waiting_room_news: Default::default(),
        callback_wake: Arc::new(tokio::sync::Notify::new()),
        run: Arc::new(run),
        cluster: cluster.clone(),
        draining: crate::ops::Draining::default(),
    };
    // Before anyone can join: this run is recorded, and what a previous run
    // on this media socket (or any run gone silent) left open is closed.
    reconcile::heartbeat(&app_state)
        .await
        .context("recording this run")?;
    let reconciled = reconcile::close_left_open(&app_state)
        .await
        .context("closing what the last run left open")?;
    if reconciled.participants > 0 || reconciled.runs > 0 {
        tracing::warn!(
            participants = reconciled.participants,
            runs = reconciled.runs,
            "closed participants a stopped run left connected"
        );
    }
    let rooms = lifecycle::register_all(&app_state).await?;
    let [recorder, runner] = callbacks::spawn(app_state.clone(), room_events)?;
    let mut background = vec![runner];
    background.push(room_reaper::spawn(app_state.clone()));
    if let Some(cluster) = &cluster {
        background.push(crate::cluster::registry::spawn_heartbeat(
            cluster.clone(),
            sfu.clone(),
        ));
        let news = app_state.waiting_room_news.clone();
        background.push(crate::cluster::news::spawn_listener(
            cluster.clone(),
            move |topic| {
                if topic == crate::cluster::news::WAITING_ROOM {
                    news.tell();
                }
            },
        ));
    }
    background.push(crate::retention::spawn(app_state.clone()));
    // Rate-limit tables forget idle clients, so they stay small.
    let limits = app_state.login_limits.clone();
    background.push(tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limits.shrink();
        }
    }));
    tracing::debug!(rooms, "rooms in progress registered with the SFU");
    let reminder_wake = app_state.reminder_wake.clone();
    let account_mail_wake = app_state.account_mail_wake.clone();
    let backend = app_state.backend;
    let callback_wake = app_state.callback_wake.clone();
    let outbox = ReminderOutbox::new(database.clone(), app_state.backend);
    let sessions = signaling::state::Sessions::default();
    let verifier = TokenVerifier::new(credentials.account_sid.clone(), vec![credentials.api_key()]);
    let running_state = app_state.clone();
    let tls_files = config.tls_files();
    let challenges = crate::acme::Challenges::default();
    if let (Some(acme), Some(files)) = (&config.http.acme, &tls_files) {
        crate::acme::ensure_placeholder(acme, files)?;
        background.push(crate::acme::spawn(
            acme.clone(),
            config.data_dir.clone(),
            challenges.clone(),
        ));
    }
    let tls_config = match &tls_files {
        Some(files) => Some(crate::tls::CertStore::open(files)?.server_config()),
        None => None,
    };
    let tls = tls_config.clone().map(tokio_rustls::TlsAcceptor::from);
    // TURN over TLS: the same certificate, without HTTP's ALPN (TURN
    // clients offer none, or their own).
    let turn_tls = tls_config.map(|http| {
        let mut config = (*http).clone();
        config.alpn_protocols.clear();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("binding the HTTP port {}", config.http.listen))?;
    let http_addr = listener.local_addr()?;
    let embedded_turn = crate::turn::start_embedded(
        &config.turn,
        &config.app.public_url,
        &config.media.advertise,
        &sfu.media_addrs(),
        http_addr,
        turn_tls,
    )
    .await?;
    let ice_servers = match &embedded_turn {
        Some(embedded) => embedded.ice_servers.clone(),
        None => config.turn.ice_servers(),
    };
    let shared_turn = embedded_turn
        .as_ref()
        .filter(|embedded| embedded.shares_https)
        .map(|embedded| embedded.handle.clone());
    let turn = embedded_turn.map(|embedded| embedded.handle);
    let signaling = signaling::router(SignalingState {
        sfu: sfu.clone(),
        verifier: Arc::new(verifier),
        clock: clock.clone(),
        ice_servers: Arc::new(ice_servers),
        sessions: sessions.clone(),
        draining: app_state.draining.clone(),
        router: cluster.clone().map(|cluster| {
            Arc::new(ClusterRouter::new(app_state.clone(), cluster))
                as Arc<dyn signaling::relay::NodeRouter>
        }),
    })
    .layer(axum::middleware::from_fn_with_state(
        app_state.clone(),
        http::extract::signaling_client_address,
    ));
    let app = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz).with_state(app_state.clone()))
        .route(
            "/metrics",
            get(crate::metrics::metrics)
                .with_state(crate::metrics::Sources {
                    sfu: sfu.clone(),
                    turn: turn.clone(),
                })
                .route_layer(axum::middleware::from_fn_with_state(
                    app_state.clone(),
                    ops::metrics_access,
                )),
        )
        .route(
            "/ops/drain",
            axum::routing::post(ops::drain)
                .with_state(app_state.clone())
                .route_layer(axum::middleware::from_fn_with_state(
                    app_state.clone(),
                    ops::metrics_access,
                )),
        )
        .route(
            "/ops/packet-cache/{room}",
            get(ops::packet_cache)
                .with_state(app_state.clone())
                .route_layer(axum::middleware::from_fn_with_state(
                    app_state.clone(),
                    ops::metrics_access,
                )),
        )
        .merge(signaling)
        .merge(http::router(app_state.clone()));
    let app = match &cluster {
        Some(_) => app.merge(crate::cluster::remote::router(app_state.clone())),
        None => app,
    };
    let app = WebSource::new(&config).serve(app);
    let app = app.layer(axum::middleware::from_fn(
        http::text_guard::refuse_control_characters,
    ));
    // After the control-character guard, whose refusal is not in the shape
    // the app reads: the token server refuses them itself.
    let app = match &config.video_app {
        Some(_) => app.merge(http::video_app::router(app_state)),
        None => app,
    };
    let app = http::headers::on_every_response(app, tls_files.is_some());
    let mailer = reminders::dispatch::mailer(&config.notifications)?;
    background.push(reminders::dispatch::start(
        &config,
        outbox,
        clock.clone(),
        reminder_wake.clone(),
        mailer.clone(),
    )?);
    background.push(reminders::account_mail::start(
        &config,
        database.clone(),
        backend,
        clock,
        account_mail_wake,
        mailer,
    )?);
    let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let limits = crate::http_listener::Limits {
        header_timeout: Duration::from_secs(config.http.header_timeout_secs),
        max_connections: config.http.max_connections,
        tls,
        turn: shared_turn,
    };
    let redirect_addr = match config.http.redirect_listen {
        Some(address) => {
            let redirects = TcpListener::bind(address)
                .await
                .with_context(|| format!("binding http.redirect_listen {address}"))?;
            let bound = redirects.local_addr()?;
            let limits = crate::http_listener::Limits {
                header_timeout: Duration::from_secs(config.http.header_timeout_secs),
                max_connections: config.http.max_connections,
                tls: None,
                turn: None,
            };
            let app = Router::new()
                .route(
                    "/.well-known/acme-challenge/{token}",
                    get(crate::acme::answer_challenge).with_state(challenges),
                )
                .merge(crate::tls::redirect_app(&config.app.public_url));
            background.push(tokio::spawn(async move {
                let never = std::future::pending::<()>();
                if let Err(err) = crate::http_listener::serve(redirects, app, limits, never).await {
                    tracing::warn!(%err, "the HTTPS redirect listener stopped");
                }
            }));
            Some(bound)
        }
        None => None,
    };
    let server = tokio::spawn(crate::http_listener::serve(listener, app, limits, async {
        let _ = shutdown_rx.await;
    }));
    tracing::info!(
        http = %http_addr,
        media = %sfu.local_addr(),
        media_workers = sfu.workers(),
        took_ms = started.elapsed().as_millis() as u64,
        "Confide is running"
    );
    Ok(Running {
        http_addr,
        https: tls_files.is_some(),
        redirect_addr,
        db: database,
        media_addr: sfu.local_addr(),
        credentials,
        sfu,
        turn,
        sessions,
        recorder,
        draining: running_state.draining.clone(),
        state: running_state,
        server,
        shutdown,
        background,
        reminder_wake,
        callback_wake,
    })
}
