//! `ironrule serve`: the project loaded and indexed once, then checked over HTTP: the same
//! reading, rules and report formats as `ironrule check` (a check answers exactly what the
//! command prints for the same file), the rules' documentation and the zone layers for a map.
//!
//! Read-only and bounded: no request names a path on the server, an upload lives in a private
//! temporary folder for the length of its request, and every request is held to the limits
//! in [`Limits`]. SIGTERM (or Ctrl-C) stops accepting and lets the requests in flight finish;
//! SIGHUP, or `POST /v1/reload` with the reload token, loads the project again and swaps it in
//! whole (checks in flight finish on the project they started with).

mod check;
mod layers;
mod upload;

use crate::engine::Checker;
use crate::model::Lang;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The OpenAPI 3.1 description of the API (validated in CI by openapi-spec-validator).
pub const OPENAPI: &str = include_str!("openapi.json");

/// The paths the server answers, as the OpenAPI document lists them (a test keeps the two in
/// step).
pub const ROUTES: &[&str] = &[
    "/",
    "/assets/{file}",
    "/healthz",
    "/openapi.json",
    "/v1/attributes",
    "/v1/check",
    "/v1/layers",
    "/v1/layers/{name}",
    "/v1/relief/{name}",
    "/v1/reload",
    "/v1/rules",
    "/v1/rules/{code}",
];

/// What one request may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Request body, bytes.
    pub max_body_bytes: usize,
    /// From the first byte of a request to its answer (reading the body, waiting for a worker,
    /// checking).
    pub timeout: Duration,
    /// Requests being answered at once; more are refused with 503 and `Retry-After`.
    pub max_requests: usize,
    /// A zip upload, unpacked, bytes.
    pub max_unzipped_bytes: u64,
    /// Entries in a zip upload.
    pub max_zip_entries: usize,
    /// Time to send a request's headers (slow clients are cut off).
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 << 20,
            timeout: Duration::from_secs(30),
            max_requests: 256,
            max_unzipped_bytes: 512 << 20,
            max_zip_entries: 1_000,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct Config {
    pub project: PathBuf,
    pub bind: SocketAddr,
    pub limits: Limits,
    /// The token `POST /v1/reload` must carry (`Authorization: Bearer TOKEN`); without one the
    /// endpoint is off and only SIGHUP reloads.
    pub reload_token: Option<String>,
}

/// An error answered as JSON: `{"error": {"status": N, "message": "..."}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(400, m)
    }
    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(404, m)
    }
    pub fn too_large(m: impl Into<String>) -> Self {
        Self::new(413, m)
    }
    pub fn unprocessable(m: impl Into<String>) -> Self {
        Self::new(422, m)
    }
    pub fn internal(m: impl Into<String>) -> Self {
        Self::new(500, m)
    }
    pub fn unavailable(m: impl Into<String>) -> Self {
        Self::new(503, m)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({"error": {"status": self.status, "message": self.message}});
        let mut r = (status, axum::Json(body)).into_response();
        if self.status == 503 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

/// The project as loaded: a checker per language (sharing the indexed layers), and the zone
/// layers as the map asks for them, cached by zoom.
pub struct Loaded {
    en: Checker,
    zh: Checker,
    loaded_at: String,
    layer_cache: layers::Cache,
}

impl Loaded {
    fn load(path: &std::path::Path) -> anyhow::Result<Loaded> {
        let mut project = crate::project::Project::load(path)?;
        // The map draws the zones whole.
        project.keep_zone_geometry = true;
        let en = Checker::load(project)?;
        let mut zh = en.clone();
        zh.lang = Lang::Zh;
        Ok(Loaded {
            en,
            zh,
            loaded_at: now_rfc3339(),
            layer_cache: layers::Cache::default(),
        })
    }

    pub fn project_name(&self) -> &str {
        self.en.project.name.as_deref().unwrap_or("project")
    }

    pub fn rule_count(&self) -> usize {
        self.en.rules().count()
    }

    pub fn layer_count(&self) -> usize {
        self.en.layers.len()
    }

    fn checker(&self, lang: Lang) -> &Checker {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

struct App {
    config: Config,
    loaded: RwLock<Arc<Loaded>>,
    /// Requests being answered ([`Limits::max_requests`]).
    requests: Arc<tokio::sync::Semaphore>,
    /// Checks running at once: one per core, the others wait their turn (within the timeout).
    workers: Arc<tokio::sync::Semaphore>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
}

impl App {
    fn current(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Loads the project again and swaps it in; on error the old one stays.
    async fn reload(self: &Arc<Self>) -> Result<Arc<Loaded>, String> {
        let _one = self.reloading.lock().await;
        let path = self.config.project.clone();
        let started = Instant::now();
        let loaded = tokio::task::spawn_blocking(move || Loaded::load(&path))
            .await
            .map_err(|e| format!("the reload failed: {e}"))?
            .map_err(|e| format!("{e:#}"))?;
        let loaded = Arc::new(loaded);
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = loaded.clone();
        log(
            json!({"event": "reload", "ms": ms(started), "rules": loaded.en.rules().count(),
            "layers": loaded.en.layers.len()}),
        );
        Ok(loaded)
    }
}

/// Serves until SIGTERM or Ctrl-C; `on_ready` gets the address bound (port 0 picks one).
pub fn run(config: Config, on_ready: impl FnOnce(SocketAddr, &Loaded)) -> anyhow::Result<()> {
    let started = Instant::now();
    let loaded = Loaded::load(&config.project)?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
        let bound = listener.local_addr()?;
        on_ready(bound, &loaded);
        log(
            json!({"event": "start", "bind": bound.to_string(), "ms": ms(started),
            "project": loaded.en.project.name, "rules": loaded.en.rules().count(),
            "layers": loaded.en.layers.len()}),
        );
        let app = Arc::new(App {
            requests: Arc::new(tokio::sync::Semaphore::new(config.limits.max_requests)),
            workers: Arc::new(tokio::sync::Semaphore::new(cores)),
            config,
            loaded: RwLock::new(Arc::new(loaded)),
            reloading: tokio::sync::Mutex::new(()),
        });
        serve(listener, app).await
    })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/assets/{file}", get(asset))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .route("/v1/check", post(check::check))
        .route("/v1/attributes", get(attributes))
        .route("/v1/rules", get(rules))
        .route("/v1/rules/{code}", get(rule))
        .route("/v1/layers", get(layers::list))
        .route("/v1/layers/{name}", get(layers::layer))
        .route("/v1/relief/{name}", get(layers::relief))
        .route("/v1/reload", post(reload))
        .fallback(|| async {
            ApiError::not_found("no such endpoint; GET /openapi.json lists them")
        })
        .layer(axum::middleware::from_fn(access_log))
        .with_state(app)
}

async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tokio::signal::unix::{signal, SignalKind};
    let router = router(app.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(app.config.limits.header_timeout)
        .keep_alive(true);
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(x) => x,
                    // Out of descriptors and the like: say so, wait, go on serving.
                    Err(e) => {
                        log(json!({"event": "accept-error", "error": e.to_string()}));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                    use tower_service::Service;
                    req.extensions_mut().insert(Remote(remote));
                    router.clone().call(req)
                });
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = hup.recv() => {
                let app = app.clone();
                tokio::spawn(async move {
                    if let Err(e) = app.reload().await {
                        log(json!({"event": "reload-failed", "error": e}));
                    }
                });
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    drop(listener);
    log(json!({"event": "stopping", "note": "finishing the requests in flight"}));
    let grace = app.config.limits.timeout + Duration::from_secs(1);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        log(
            json!({"event": "stopped", "note": "requests still running after the timeout were dropped"}),
        );
    } else {
        log(json!({"event": "stopped"}));
    }
    Ok(())
}

/// The client's address, for the access log.
#[derive(Clone, Copy)]
struct Remote(SocketAddr);

/// One JSON line per request on standard error: time, client, method, path, status, bytes
/// and milliseconds.
async fn access_log(req: Request, next: axum::middleware::Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let remote = req.extensions().get::<Remote>().map(|r| r.0.to_string());
    let bytes_in = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let response = next.run(req).await;
    let bytes_out = axum::body::HttpBody::size_hint(response.body()).exact();
    let exit = response
        .headers()
        .get("x-ironrule-exit")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u8>().ok());
    log(
        json!({"time": now_rfc3339(), "remote": remote, "method": method, "path": path,
        "status": response.status().as_u16(), "bytes_in": bytes_in, "bytes_out": bytes_out,
        "exit": exit, "ms": ms(started)}),
    );
    response
}

fn log(mut line: Value) {
    if line.get("time").is_none() {
        if let Value::Object(m) = &mut line {
            m.shift_insert(0, "time".into(), now_rfc3339().into());
        }
    }
    // One write per line: a log reader never sees half a line.
    let mut text = line.to_string();
    text.push('\n');
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e5).round() / 100.0
}

/// Now, UTC, to the millisecond (`2026-12-03T18:40:00.123Z`).
fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let date = crate::model::Date::from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        now.subsec_millis()
    )
}

/// `lang` from the query, else the first language of `Accept-Language` (zh → Chinese), else
/// English.
fn lang_of(asked: Option<&str>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    match asked {
        Some(s) => <Lang as clap::ValueEnum>::from_str(s, true)
            .map_err(|_| ApiError::bad_request(format!("lang {s:?}: must be zh or en"))),
        None => Ok(headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.trim_start().to_ascii_lowercase().starts_with("zh"))
            .map_or(Lang::En, |_| Lang::Zh)),
    }
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("web/index.html"),
    )
        .into_response()
}

/// The map page's libraries and their licences, vendored from npm
/// (`src/serve/web/vendor/refresh.sh`).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_str!("web/vendor/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_str!("web/vendor/leaflet.css"),
    ),
    (
        "proj4.js",
        "text/javascript; charset=utf-8",
        include_str!("web/vendor/proj4.js"),
    ),
    (
        "LICENSE.leaflet",
        "text/plain; charset=utf-8",
        include_str!("web/vendor/LICENSE.leaflet"),
    ),
    (
        "LICENSE.proj4",
        "text/plain; charset=utf-8",
        include_str!("web/vendor/LICENSE.proj4"),
    ),
];

async fn asset(UrlPath(file): UrlPath<String>) -> Result<Response, ApiError> {
    let Some((_, content_type, text)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return Err(ApiError::not_found(format!("no asset {file:?}")));
    };
    Ok((
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        *text,
    )
        .into_response())
}

/// The attribute dictionary, for the map page's form: each attribute's type, title, unit and,
/// for an enumeration, its values with the names submissions use for them.
async fn attributes(State(app): State<Arc<App>>) -> Response {
    let l = app.current();
    let read = &l.en.projection;
    let list: Vec<Value> = l
        .en
        .dictionary
        .attributes()
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "type": a.kind.as_str(),
                "title": a.title,
                "unit": a.unit,
                "read_by_rules": read.keeps(&a.name),
                "values": a.values.iter().map(|v| json!({"value": v.value, "title": v.title, "aliases": v.aliases})).collect::<Vec<_>>(),
            })
        })
        .collect();
    axum::Json(json!({ "attributes": list })).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let l = app.current();
    axum::Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "project": l.en.project.name,
        "crs": l.en.project.crs.name,
        "rules": l.en.rules().count(),
        "layers": l.en.layers.len(),
        "loaded_at": l.loaded_at,
    }))
    .into_response()
}

fn rule_json(checker: &Checker, rule: &crate::rules::Rule, lang: Lang) -> Value {
    json!({
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary_in(lang),
        "severity": rule.severity,
        "status": rule.status.as_str(),
        "test": rule.test.kind(),
        "layers": rule.test.layers(),
        "threshold": rule.test.threshold(),
        "citation": crate::report::RuleDoc::new(rule, lang).citation,
        "pack": checker.packs.iter().find(|p| p.rules.iter().any(|r| r.code == rule.code)).map(|p| &p.id),
        "url": format!("/v1/rules/{}", rule.code),
    })
}

async fn rules(
    State(app): State<Arc<App>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = lang_of(q.lang.as_deref(), &headers)?;
    let l = app.current();
    let c = l.checker(lang);
    let list: Vec<Value> = c.rules().map(|r| rule_json(c, r, lang)).collect();
    Ok(axum::Json(json!({ "rules": list })).into_response())
}

async fn rule(
    State(app): State<Arc<App>>,
    UrlPath(code): UrlPath<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = lang_of(q.lang.as_deref(), &headers)?;
    let l = app.current();
    let c = l.checker(lang);
    let Some((pack, rule)) = c.packs.iter().find_map(|p| {
        p.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(&code))
            .map(|r| (p, r))
    }) else {
        let known: Vec<&str> = c.rules().map(|r| r.code.as_str()).collect();
        return Err(ApiError::not_found(format!(
            "no rule {code} (known: {})",
            known.join(", ")
        )));
    };
    let mut v = rule_json(c, rule, lang);
    let doc = crate::report::RuleDoc::new(rule, lang);
    v["help"] = json!(doc.help);
    v["text"] = json!(crate::cli::rules::describe(pack, rule, lang));
    let mut fixtures: Vec<String> = std::fs::read_dir(rule.dir.join("fixtures"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    fixtures.sort();
    v["fixtures"] = json!(fixtures);
    Ok(axum::Json(v).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn reload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(_): Query<Empty>,
) -> Result<Response, ApiError> {
    let Some(token) = &app.config.reload_token else {
        return Err(ApiError::new(
            403,
            "reloading over HTTP is off: start the server with --reload-token-file, or send it SIGHUP",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
        return Err(ApiError::new(
            401,
            "a reload needs Authorization: Bearer TOKEN",
        ));
    }
    match app.reload().await {
        Ok(l) => Ok(
            axum::Json(json!({"status": "reloaded", "loaded_at": l.loaded_at,
            "rules": l.en.rules().count(), "layers": l.en.layers.len()}))
            .into_response(),
        ),
        Err(e) => Err(ApiError::unprocessable(format!(
            "the project did not load; the server goes on with the one it had: {e}"
        ))),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The fuzz target's entry point (`fuzz/fuzz_targets/serve_request.rs`): request decoding
/// and upload staging, on `QUERY \0 CONTENT-TYPE \0 BODY`. Invariants: nothing is staged
/// outside the upload's private folder, and the folder is gone afterwards.
#[doc(hidden)]
pub fn fuzz_request(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == 0);
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let content_type = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let Ok(uri) = format!("/v1/check?{query}").parse::<axum::http::Uri>() else {
        return;
    };
    let Ok(Query(params)) = Query::<check::Params>::try_from_uri(&uri) else {
        return;
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    let Ok(name) = check::upload_name(&params, &headers) else {
        return;
    };
    let limits = Limits {
        max_unzipped_bytes: 1 << 20,
        max_zip_entries: 64,
        ..Limits::default()
    };
    let Ok(staged) = upload::stage(&name, body, &limits) else {
        return;
    };
    let root = staged.prefix();
    for s in &staged.sources {
        let real = std::fs::canonicalize(s).expect("a staged source exists");
        let folder = std::fs::canonicalize(&root).expect("the folder exists");
        assert!(
            real.starts_with(&folder),
            "{} escaped {}",
            real.display(),
            folder.display()
        );
    }
    drop(staged);
    assert!(
        !std::path::Path::new(&root).exists(),
        "the upload folder is removed"
    );
}

/// A response body of bytes with its content type.
fn bytes_response(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_lists_exactly_the_routes() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut paths: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        paths.sort();
        let mut routes = ROUTES.to_vec();
        routes.sort();
        assert_eq!(paths, routes);
    }

    #[test]
    fn language_from_the_query_then_the_header() {
        let mut h = HeaderMap::new();
        assert_eq!(lang_of(None, &h).unwrap(), Lang::En);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-CN,zh;q=0.9,en;q=0.8"),
        );
        assert_eq!(lang_of(None, &h).unwrap(), Lang::Zh);
        assert_eq!(lang_of(Some("en"), &h).unwrap(), Lang::En);
        assert_eq!(lang_of(Some("fr"), &h).unwrap_err().status, 400);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
