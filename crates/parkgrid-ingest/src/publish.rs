//! An MQTT publisher at QoS 1 that knows when the broker has everything: the twin's (and a
//! gateway's) side of the wire.
//!
//! [`Publisher::publish`] queues a message; a thread drives the connection, reconnecting after
//! a lost connection (the session is persistent — `clean_session = false` and a fixed client
//! id — so the client sends again what the broker had not acknowledged), and counts the
//! broker's acknowledgements (PUBACK). [`Publisher::flush`] waits until every message queued
//! has been acknowledged: from then on the broker holds them, for a subscriber that is away as
//! much as for one that is there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use crate::mqtt::IngestError;

/// What [`Publisher::flush`] found when its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "the broker acknowledged {acked} of {sent} messages in {waited_s:.1} s ({errors} connection errors)"
)]
pub struct NotFlushed {
    /// Messages queued.
    pub sent: usize,
    /// Messages the broker acknowledged.
    pub acked: usize,
    /// Connection errors met.
    pub errors: usize,
    /// How long it waited, s.
    pub waited_s: f64,
}

/// A QoS 1 publisher (see the module's documentation).
pub struct Publisher {
    client: Client,
    sent: usize,
    acked: Arc<AtomicUsize>,
    errors: Arc<AtomicUsize>,
    connected: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Connects (in the background) to the broker at `host:port` as `client_id`, with up to
    /// `inflight` messages on the wire unacknowledged.
    pub fn connect(host: &str, port: u16, client_id: &str, inflight: u16) -> Publisher {
        let mut options = MqttOptions::new(client_id, host, port);
        options
            .set_keep_alive(Duration::from_secs(10))
            .set_clean_session(false)
            .set_inflight(inflight.max(1))
            .set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut connection) = Client::new(options, 1024);
        let acked = Arc::new(AtomicUsize::new(0));
        let errors = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let connected = Arc::new(AtomicBool::new(false));
        let thread = {
            let (acked, errors, stop) = (acked.clone(), errors.clone(), stop.clone());
            let connected = connected.clone();
            // Driven without interruption (a poll cut short by a timeout can leave requests
            // undrained); it ends at the first event after the publisher is dropped.
            std::thread::spawn(move || {
                for event in connection.iter() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    match event {
                        Ok(Event::Incoming(Packet::PubAck(_))) => {
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            connected.store(true, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            })
        };
        Publisher {
            client,
            sent: 0,
            acked,
            errors,
            connected,
            stop,
            thread: Some(thread),
        }
    }

    /// Queues `payload` to `topic` at QoS 1, waiting while the client's queue is full — up to
    /// two minutes, after which the broker is taken for gone.
    ///
    /// # Errors
    /// [`IngestError::Client`] when the client is gone or its queue stayed full.
    pub fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>) -> Result<(), IngestError> {
        let payload = payload.into();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match self
                .client
                .try_publish(topic, QoS::AtLeastOnce, false, payload.clone())
            {
                Ok(()) => break,
                Err(rumqttc::ClientError::TryRequest(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.sent += 1;
        Ok(())
    }

    /// Waits up to `timeout` for the broker's first acknowledgement of the connection.
    ///
    /// # Errors
    /// A message with the connection errors met when none came.
    pub fn wait_connected(&self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while !self.connected.load(Ordering::Relaxed) {
            if start.elapsed() >= timeout {
                return Err(format!(
                    "no connection to the broker in {:.0} s ({} attempts failed)",
                    timeout.as_secs_f64(),
                    self.errors.load(Ordering::Relaxed)
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// Messages queued so far.
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// Messages the broker has acknowledged so far.
    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::Relaxed)
    }

    /// Waits up to `timeout` for the broker to acknowledge every message queued.
    ///
    /// # Errors
    /// [`NotFlushed`] with the counts when the time runs out.
    pub fn flush(&self, timeout: Duration) -> Result<(), NotFlushed> {
        let start = Instant::now();
        loop {
            let acked = self.acked();
            if acked >= self.sent {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(NotFlushed {
                    sent: self.sent,
                    acked,
                    errors: self.errors.load(Ordering::Relaxed),
                    waited_s: start.elapsed().as_secs_f64(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.client.disconnect();
        // Not joined: with the broker gone the driver would wait for a connection.
        drop(self.thread.take());
    }
}
