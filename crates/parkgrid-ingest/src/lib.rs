//! The live park's ingest (layer L2 of `ARCHITECTURE.md`): MQTT (SenML payloads) and Modbus TCP
//! (register maps) into the store, acknowledged only once the points are durable.
//!
//! What is here so far is the decoding a payload goes through before anything is stored, pure
//! computation (no IO): [`senml`] resolves a SenML pack (RFC 8428) into records with full names,
//! absolute UTC times and values, and refuses what the RFC refuses with the record and field at
//! fault — the reason a quarantined payload is kept with; [`modbus`] decodes register values in
//! any byte order, never lets a device's "no value" sentinel or an impossible value through as
//! data, and plans the block reads a poller sends (split in halves when a device refuses one).
//! [`foreign`] reads the JSON objects of devices with a topic layout of their own, by a mapping
//! from the park file. [`mqtt`] is the MQTT ingester: SenML packs from a broker into a store on a persistent QoS 1
//! session, each message acknowledged only after its points are committed (or it is
//! quarantined). [`poller`] polls a Modbus TCP device (`tokio-modbus`) through lost replies,
//! exceptions and reconnects, never storing a sentinel as data. [`publish`] is the other side
//! of the wire: a QoS 1 publisher that waits until the broker holds every message (the twin's);
//! [`mosquitto`] runs a broker of one's own with the settings a park's broker needs;
//! `modbus_server` (feature `modbus-server`) a Modbus TCP device of one's own.

pub mod foreign;
pub mod modbus;
#[cfg(feature = "modbus-server")]
pub mod modbus_server;
pub mod mosquitto;
pub mod mqtt;
pub mod poller;
pub mod publish;
pub mod senml;
