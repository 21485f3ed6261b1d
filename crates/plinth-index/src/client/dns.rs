//! Host names looked up on threads of their own, which nothing waits for.
//!
//! reqwest looks a host up with `getaddrinfo` on a blocking thread of the
//! async runtime, one lookup per connection it opens, and the runtime waits
//! for those threads when it is dropped at the end of a run. A lookup whose
//! answer is lost waits out the resolver's timeout (5 s with glibc's
//! defaults) even when another connection to the host is already in use:
//! runs that had finished resolving in 0.2 s then took 5.2 s to exit. Here
//! each lookup runs on a detached thread; a run that no longer needs it
//! exits without it.

use std::net::{SocketAddr, ToSocketAddrs};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The system's resolver (`getaddrinfo`), on detached threads.
#[derive(Debug, Default)]
pub(super) struct DetachedLookups;

impl Resolve for DetachedLookups {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let (sender, answer) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("plinth-dns".to_string())
            .spawn(move || {
                let found = (host.as_str(), 0)
                    .to_socket_addrs()
                    .map(Iterator::collect::<Vec<SocketAddr>>);
                let _ = sender.send(found);
            });
        Box::pin(async move {
            spawned?;
            let addresses = answer.await??;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn localhost_is_found() {
        let name = Name::from_str("localhost").expect("a host name");
        let addresses: Vec<SocketAddr> = DetachedLookups
            .resolve(name)
            .await
            .expect("found")
            .collect();
        assert!(addresses.iter().any(|address| address.ip().is_loopback()));
    }
}
