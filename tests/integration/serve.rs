//! `ironrule serve` as a client sees it: a real server on 127.0.0.1 (a free port), spoken to
//! over TCP in plain HTTP/1.1. Its checks must answer byte for byte what `ironrule check`
//! prints; bad requests get clear errors and the server goes on serving.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running server; stopped (by its PID) when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let project = demo_project();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ironrule"))
            .args([
                "serve",
                "-p",
                project.to_str().unwrap(),
                "--bind",
                "127.0.0.1:0",
            ])
            .args(extra)
            .current_dir(root())
            .env("LANG", "C.UTF-8")
            .env_remove("IRONRULE_RELOAD_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut sent = false;
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&String::from_utf8_lossy(&buf[..n]));
                if !sent {
                    // The address, once its line is whole.
                    if let Some(at) = l.find("on http://") {
                        let rest = &l[at + "on http://".len()..];
                        if let Some(end) = rest.find('/') {
                            tx.send(rest[..end].parse::<SocketAddr>().unwrap()).unwrap();
                            sent = true;
                        }
                    }
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        Server { child, addr, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits for the server to exit; its exit code.
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn get(&self, path: &str) -> Answer {
        request(self.addr, "GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        request(self.addr, "POST", path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One HTTP/1.1 request on its own connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before it has read the whole body.
    let _ = s.write_all(body);
    read_answer(&mut s)
}

pub fn read_answer(s: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&b[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[line_end + 2..line_end + 2 + size]);
        b = &b[line_end + 4 + size..];
    }
}

/// What `ironrule check` prints for `file` (run in its folder, so that it is named as the
/// server names an upload), and its exit code.
fn cli(dir: &Path, file: &str, format: &str, extra: &[&str]) -> (Vec<u8>, i32) {
    let project = demo_project();
    let out = Command::new(env!("CARGO_BIN_EXE_ironrule"))
        .args(["check", "--lang", "en", "-p", project.to_str().unwrap()])
        .args(["--format", format, file])
        .args(extra)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (out.stdout, out.status.code().unwrap())
}

#[test]
fn serve_check_answers_what_check_prints_byte_for_byte() {
    let server = Server::start(&[]);
    let demo = root().join("data/yichang");
    let body = std::fs::read(demo.join("proposals.geojson")).unwrap();
    for format in ["json", "sarif", "geojson", "html", "text", "csv", "junit"] {
        let a = server.post(
            &format!("/v1/check?name=proposals.geojson&lang=en&format={format}"),
            &[("Content-Type", "application/geo+json")],
            &body,
        );
        let (printed, exit) = cli(&demo, "proposals.geojson", format, &[]);
        assert_eq!(exit, 1);
        assert_eq!(a.status, 200, "{format}: {}", a.text());
        assert_eq!(a.header("x-ironrule-exit"), Some("1"));
        assert!(
            a.body == printed,
            "{format}: the server's answer differs from check's output"
        );
    }
    // Without a name, the Content-Type tells GeoJSON, and the report names it upload.geojson.
    let a = server.post(
        "/v1/check?lang=zh",
        &[("Content-Type", "application/geo+json")],
        &body,
    );
    let j = a.json();
    assert_eq!(j["summary"]["read"], 38);
    assert_eq!(j["findings"][0]["feature"]["source"], "upload.geojson");
    assert!(
        j["findings"][0]["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "lang=zh gives Chinese messages: {}",
        j["findings"][0]["message"]
    );
}

#[test]
fn serve_reads_uploaded_files_of_every_native_format() {
    let server = Server::start(&[]);
    let data = root().join("tests/data");
    for name in [
        "proposals_4546.fgb",
        "proposals_4546.parquet",
        "proposals_4546.gpkg",
    ] {
        let body = std::fs::read(data.join(name)).unwrap();
        let a = server.post(&format!("/v1/check?name={name}&lang=en"), &[], &body);
        let (printed, exit) = cli(&data, name, "json", &[]);
        assert_eq!(a.header("x-ironrule-exit"), Some(exit.to_string().as_str()));
        assert!(a.body == printed, "{name}: {}", a.text());
    }
    // A zipped Shapefile (with its .dbf, .prj and .cpg), named as the archive's folder.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("parcels.zip");
    std::fs::create_dir(&folder).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let file = format!("proposals_polygons_gbk.{ext}");
        let bytes = std::fs::read(data.join(&file)).unwrap();
        std::fs::write(folder.join(&file), &bytes).unwrap();
        zip.start_file(file, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&bytes).unwrap();
    }
    let body = zip.finish().unwrap().into_inner();
    let a = server.post(
        "/v1/check?lang=en&crs=EPSG:4546",
        &[("Content-Type", "application/zip")],
        &body,
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(
        a.json()["findings"][0]["feature"]["source"],
        "upload.zip/proposals_polygons_gbk.shp"
    );
    let a = server.post("/v1/check?name=parcels.zip&lang=en", &[], &body);
    let (printed, _) = cli(
        dir.path(),
        "parcels.zip/proposals_polygons_gbk.shp",
        "json",
        &[],
    );
    assert!(a.body == printed, "zipped Shapefile: {}", a.text());
    assert!(a.json()["summary"]["read"].as_u64().unwrap() > 0);
}

#[test]
fn serve_bad_requests_get_clear_errors_and_the_server_goes_on() {
    let server = Server::start(&["--max-body-mb", "1", "--max-unzipped-mb", "1"]);
    // Malformed GeoJSON: the input is at fault (422) and the report says what check says.
    let dir = tempfile::tempdir().unwrap();
    let bad = br#"{"type":"FeatureCollection","features":[{"type":"Feature","#;
    std::fs::write(dir.path().join("bad.geojson"), bad).unwrap();
    let a = server.post("/v1/check?name=bad.geojson&lang=en", &[], bad);
    let (printed, exit) = cli(dir.path(), "bad.geojson", "json", &[]);
    assert_eq!((a.status, exit), (422, 2));
    assert_eq!(a.header("x-ironrule-exit"), Some("2"));
    assert!(a.body == printed, "{}", a.text());
    assert!(a.json()["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ends inside"));

    // A CRS that is no CRS: 400 with the reason check gives for --assume-crs.
    let body = std::fs::read(demo_proposals()).unwrap();
    let a = server.post(
        "/v1/check?name=p.geojson&crs=%2Bproj%3Dtmerc%20%2Bk%3D-1",
        &[],
        &body,
    );
    assert_eq!(a.status, 400);
    let cli_says = stderr(&ironrule(&[
        "check",
        "-p",
        demo_project().to_str().unwrap(),
        "--assume-crs",
        "+proj=tmerc +k=-1",
        demo_proposals().to_str().unwrap(),
    ]));
    let reason = a.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(reason.starts_with("crs: "), "{reason}");
    assert!(
        cli_says.contains(&reason["crs: ".len()..]),
        "{cli_says} / {reason}"
    );

    // Too large: 413 from the declared length, before the body is read.
    let big = vec![b' '; 2 << 20];
    let a = server.post("/v1/check?name=big.geojson", &[], &big);
    assert_eq!(a.status, 413, "{}", a.text());
    assert!(a.text().contains("--max-body-mb"));

    // A zip bomb: 400 KB that would unpack to 200 MB.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "bomb.geojson",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..200 {
        zip.write_all(&zeros).unwrap();
    }
    let bomb = zip.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let a = server.post("/v1/check?name=bomb.zip", &[], &bomb);
    assert_eq!(a.status, 413, "{}", a.text());
    assert!(a.text().contains("zip bomb"));

    // No name and an unknown content type; a path for a name; an unknown parameter; an
    // unknown format; an empty body.
    for (path, ct, body, want) in [
        ("/v1/check", "text/plain", &b"x"[..], "?name=FILE"),
        ("/v1/check?name=..%2Fx.geojson", "", b"x", "not a path"),
        (
            "/v1/check?name=x.geojson&path=/etc/passwd",
            "",
            b"x",
            "unknown field `path`",
        ),
        (
            "/v1/check?name=x.geojson&format=pdf",
            "",
            b"x",
            "format \\\"pdf\\\"",
        ),
        ("/v1/check?name=x.geojson", "", b"", "empty"),
    ] {
        let headers: Vec<(&str, &str)> = if ct.is_empty() {
            vec![]
        } else {
            vec![("Content-Type", ct)]
        };
        let a = server.post(path, &headers, body);
        assert_eq!(a.status, 400, "{path}: {}", a.text());
        assert!(a.text().contains(want), "{path}: {}", a.text());
    }
    assert_eq!(server.get("/v1/rules/NOPE").status, 404);
    assert_eq!(server.get("/v1/layers/nope").status, 404);
    assert_eq!(server.get("/v1/layers/red_line?zoom=99").status, 400);
    assert_eq!(server.get("/etc/passwd").status, 404);

    // And it still answers.
    let a = server.get("/healthz");
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["rules"], 28);
    // Every request is in the access log, one JSON object per line.
    let log = server.log();
    let whole = &log[..log.rfind('\n').map_or(0, |i| i + 1)];
    let lines: Vec<serde_json::Value> = whole
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines
        .iter()
        .any(|l| l["status"] == 413 && l["path"] == "/v1/check"));
    assert!(lines.iter().any(|l| l["status"] == 422 && l["exit"] == 2));
}

#[test]
fn serve_a_slow_client_is_cut_off_and_sigterm_lets_requests_finish() {
    let mut server = Server::start(&["--timeout-secs", "2"]);
    // A client that sends half its body and stalls: 408 when the request's time is up.
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"POST /v1/check?name=p.geojson HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"type\":")
        .unwrap();
    let started = Instant::now();
    let a = read_answer(&mut s);
    assert_eq!(a.status, 408, "{}", a.text());
    assert!(started.elapsed() < Duration::from_secs(10));

    // SIGTERM while a request is half sent: the server stops listening, but the request in
    // flight is answered when its body arrives, and then the server exits 0.
    let body = std::fs::read(demo_proposals()).unwrap();
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /v1/check?name=p.geojson HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(&body[..100]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&body[100..]).unwrap();
    let a = read_answer(&mut s);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["summary"]["read"], 38);
    assert_eq!(server.wait(Duration::from_secs(20)), Some(0));
    assert!(server.log().contains("\"event\":\"stopped\""));
}

#[test]
fn serve_reloads_on_sighup_and_on_an_authenticated_request() {
    let dir = tempfile::tempdir().unwrap();
    let token = "0123456789abcdef-reload";
    std::fs::write(dir.path().join("token"), format!("{token}\n")).unwrap();
    let token_file = dir.path().join("token");
    let server = Server::start(&["--reload-token-file", token_file.to_str().unwrap()]);
    let before = server.get("/healthz").json()["loaded_at"].clone();
    assert_eq!(server.post("/v1/reload", &[], b"").status, 401);
    assert_eq!(
        server
            .post(
                "/v1/reload",
                &[("Authorization", "Bearer wrong-token-0000000")],
                b""
            )
            .status,
        401
    );
    // Checks during a reload are answered (by the project they started on).
    let addr = server.addr;
    let body = std::fs::read(demo_proposals()).unwrap();
    let during = std::thread::spawn(move || {
        (0..5)
            .map(|_| request(addr, "POST", "/v1/check?name=p.geojson", &[], &body).status)
            .collect::<Vec<_>>()
    });
    let bearer = format!("Bearer {token}");
    let a = server.post("/v1/reload", &[("Authorization", &bearer)], b"");
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(during.join().unwrap(), vec![200; 5]);
    let after = server.get("/healthz").json()["loaded_at"].clone();
    assert_ne!(before, after);
    server.signal("HUP");
    let started = Instant::now();
    while server.log().matches("\"event\":\"reload\"").count() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_rules_and_layers_for_the_map() {
    let server = Server::start(&[]);
    let rules = server.get("/v1/rules?lang=en").json();
    assert_eq!(rules["rules"].as_array().unwrap().len(), 28);
    let yc201 = server.get("/v1/rules/yc201?lang=zh").json();
    assert_eq!(yc201["code"], "YC201");
    assert!(yc201["summary"].as_str().unwrap().contains("生态保护红线"));
    assert!(yc201["text"].as_str().unwrap().starts_with("YC201"));
    assert!(!yc201["fixtures"].as_array().unwrap().is_empty());
    let layers = server.get("/v1/layers").json();
    assert_eq!(layers["crs"], "EPSG:4546");
    assert_eq!(layers["layers"].as_array().unwrap().len(), 20);
    let area = layers["area"].as_array().unwrap();
    assert!((110.0..112.0).contains(&area[0].as_f64().unwrap()));
    // Fewer vertices at a lower zoom, all in WGS 84 near Yichang.
    let vertices = |zoom: u8| {
        let a = server.get(&format!("/v1/layers/yangtze?zoom={zoom}"));
        assert_eq!(a.header("content-type"), Some("application/geo+json"));
        let j = a.json();
        let mut n = 0;
        for f in j["features"].as_array().unwrap() {
            for [lon, lat] in positions(&f["geometry"]["coordinates"]) {
                assert!((110.0..112.5).contains(&lon) && (29.5..31.5).contains(&lat));
                n += 1;
            }
        }
        n
    };
    let (coarse, fine) = (vertices(8), vertices(18));
    assert!(coarse < fine, "zoom 8: {coarse} vertices, zoom 18: {fine}");
    let doc = server.get("/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<html"));
}

/// Every position in a GeoJSON `coordinates` array, however deeply nested.
fn positions(v: &serde_json::Value) -> Vec<[f64; 2]> {
    match v.as_array() {
        Some(a) if a.first().is_some_and(|x| x.is_number()) => {
            vec![[a[0].as_f64().unwrap(), a[1].as_f64().unwrap()]]
        }
        Some(a) => a.iter().flat_map(positions).collect(),
        None => Vec::new(),
    }
}
