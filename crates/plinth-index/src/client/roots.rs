//! Server certificates checked against the system's root certificates,
//! which are read on a thread of their own while the first connection
//! opens.
//!
//! Reading them (`rustls-native-certs`: the bundle file, then every file of
//! the certificate directory, or `SSL_CERT_FILE` / `SSL_CERT_DIR`) and
//! parsing them took ~12 ms on the machine of BENCHMARKS.md, all of it
//! before the first DNS lookup when reqwest reads them. Nothing needs them
//! until the server's certificate arrives, a round trip into the first
//! handshake, so here they are read meanwhile; the first check waits for
//! them if they are not ready yet.

use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A verifier over the system's roots, or why there is none.
type Loaded = Result<Arc<WebPkiServerVerifier>, String>;

/// A TLS configuration for reqwest (`use_preconfigured_tls`) that verifies
/// servers against the system's roots, read from now on in the background;
/// HTTP/2 is offered first, as reqwest's own configuration does.
pub(super) fn client_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(SystemRoots::start_reading(provider.clone()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// Verifies like rustls' WebPKI verifier, whose roots come from a thread.
#[derive(Debug)]
struct SystemRoots {
    provider: Arc<CryptoProvider>,
    /// The thread reading the roots, until the first check joins it.
    reading: Mutex<Option<JoinHandle<Loaded>>>,
    verifier: OnceLock<Loaded>,
}

impl SystemRoots {
    fn start_reading(provider: Arc<CryptoProvider>) -> Self {
        let for_thread = provider.clone();
        // Without a thread, the first check reads them itself.
        let reading = std::thread::Builder::new()
            .name("plinth-roots".to_string())
            .spawn(move || read_roots(for_thread))
            .ok();
        Self {
            provider,
            reading: Mutex::new(reading),
            verifier: OnceLock::new(),
        }
    }

    /// The verifier, once the roots are read. Blocks the calling task (a
    /// handshake) for what is left of the reading, once per run: callers
    /// racing here wait on the one that joins the thread.
    fn verifier(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                let reading = self
                    .reading
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                match reading {
                    Some(thread) => thread.join().unwrap_or_else(|_| {
                        Err("reading the system's root certificates failed".to_string())
                    }),
                    None => read_roots(self.provider.clone()),
                }
            })
            .as_ref()
            .map_err(|error| rustls::Error::General(error.clone()))
    }
}

/// The system's roots as a verifier. Certificates rustls can't parse are
/// skipped (system stores hold a few), as reqwest does.
fn read_roots(provider: Arc<CryptoProvider>) -> Loaded {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "no usable root certificates in the system's store{}",
            if errors.is_empty() {
                String::new()
            } else {
                format!(" ({})", errors.join("; "))
            }
        ));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|error| error.to_string())
}

impl ServerCertVerifier for SystemRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    // The signatures need no roots: checked as the WebPKI verifier does.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
