//! HTTP/1.1 spoken over a raw socket: requests written by hand, responses read whole, so
//! that tests see exactly what the server sends (status line, headers, when it closes).

use std::net::{IpAddr, SocketAddr};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::TIMEOUT;

/// A TCP connection to `addr` from the loopback address `from`.
pub async fn connect_from(from: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap_or_else(|err| panic!("{err}"));
    socket
        .bind(SocketAddr::new(from, 0))
        .unwrap_or_else(|err| panic!("cannot bind {from}: {err}"));
    match tokio::time::timeout(TIMEOUT, socket.connect(addr)).await {
        Ok(Ok(stream)) => stream,
        other => panic!("cannot connect from {from} to {addr}: {other:?}"),
    }
}

/// Reads until the server closes the connection (within the test timeout); returns what it
/// sent.
pub async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    match tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut bytes)).await {
        Ok(Ok(_)) => {}
        // A reset also closes it.
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Ok(Err(err)) => panic!("read failed: {err}"),
        Err(_) => panic!("the server kept the connection open past {TIMEOUT:?}"),
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One HTTP/1.1 request (closing the connection): the whole response, headers included.
pub async fn fetch(stream: &mut TcpStream, path: &str, extra_headers: &str) -> String {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n{extra_headers}Connection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    read_to_close(stream).await
}

/// The status code of a raw response (0 if it has none).
pub fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// What follows the headers of a raw response.
pub fn text_of(response: &str) -> &str {
    response.split("\r\n\r\n").nth(1).unwrap_or_default()
}

/// The body of a raw response, as JSON.
pub fn body_of(response: &str) -> Value {
    let body = text_of(response);
    serde_json::from_str(body).unwrap_or_else(|err| panic!("not JSON ({err}): {response}"))
}

/// One HTTP/1.1 GET over a raw socket: the status code and the body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(err) => panic!("cannot connect to {addr}: {err}"),
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if let Err(err) = stream.write_all(request.as_bytes()).await {
        panic!("{err}");
    }
    let mut response = String::new();
    let read = tokio::time::timeout(TIMEOUT, stream.read_to_string(&mut response));
    if !matches!(read.await, Ok(Ok(_))) {
        panic!("no HTTP response from {addr}{path}");
    }
    (status_of(&response), text_of(&response).to_owned())
}
