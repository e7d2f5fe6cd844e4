//! A Modbus TCP device of one's own (feature `modbus-server`, `tokio-modbus`'s server): holding
//! registers per unit id that the owner updates, read by any Modbus client; the registers the
//! owner marks writable take setpoint writes (function 6 and 16), which are recorded — a write
//! to any other register is refused as an illegal data address, as a device refuses a write to
//! a measurement. The twin's inverters and battery answer through
//! it; several devices share one listener, told apart by their unit id, as behind a site's
//! Modbus gateway.
//!
//! A read of a register the image does not hold is refused as an illegal data address (so a
//! poller learns the map's holes); any other function is an illegal function.

use std::collections::HashMap;
use std::future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};

/// A setpoint written to a device: (unit, address, value).
pub type Write = (u8, u16, u16);

/// The registers of the devices behind one listener, and the writes they received.
#[derive(Debug, Default)]
struct Image {
    registers: HashMap<(u8, u16), u16>,
    writable: std::collections::HashSet<(u8, u16)>,
    writes: Vec<Write>,
}

/// A handle on the registers a running [`ModbusServer`] answers with.
#[derive(Debug, Clone, Default)]
pub struct Registers(Arc<Mutex<Image>>);

impl Registers {
    /// Sets the registers from `address` on of unit `unit`.
    pub fn set(&self, unit: u8, address: u16, values: &[u16]) {
        let mut image = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for (k, v) in values.iter().enumerate() {
            if let Some(a) = address.checked_add(k as u16) {
                image.registers.insert((unit, a), *v);
            }
        }
    }

    /// Removes `count` registers from `address` on of unit `unit` (a read of them is refused,
    /// as by a device that has stopped measuring them).
    pub fn remove(&self, unit: u8, address: u16, count: u16) {
        let mut image = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for k in 0..count {
            if let Some(a) = address.checked_add(k) {
                image.registers.remove(&(unit, a));
            }
        }
    }

    /// Lets clients write `count` registers from `address` on of unit `unit` (a setpoint).
    pub fn set_writable(&self, unit: u8, address: u16, count: u16) {
        let mut image = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for k in 0..count {
            if let Some(a) = address.checked_add(k) {
                image.writable.insert((unit, a));
            }
        }
    }

    /// The `count` registers from `address` on of unit `unit` as they stand (`None` when one is
    /// not there).
    pub fn get(&self, unit: u8, address: u16, count: u16) -> Option<Vec<u16>> {
        let image = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (0..count)
            .map(|k| {
                address
                    .checked_add(k)
                    .and_then(|a| image.registers.get(&(unit, a)).copied())
            })
            .collect()
    }

    /// The setpoints written so far, in the order they came (and forgets them).
    pub fn take_writes(&self) -> Vec<Write> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner).writes)
    }

    fn answer(&self, req: SlaveRequest<'_>) -> Result<Response, ExceptionCode> {
        let unit = req.slave;
        let mut image = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match req.request {
            Request::ReadHoldingRegisters(start, count) => (0..count)
                .map(|k| {
                    start
                        .checked_add(k)
                        .and_then(|a| image.registers.get(&(unit, a)).copied())
                        .ok_or(ExceptionCode::IllegalDataAddress)
                })
                .collect::<Result<Vec<u16>, _>>()
                .map(Response::ReadHoldingRegisters),
            Request::WriteSingleRegister(address, value) => {
                if !image.registers.contains_key(&(unit, address))
                    || !image.writable.contains(&(unit, address))
                {
                    return Err(ExceptionCode::IllegalDataAddress);
                }
                image.registers.insert((unit, address), value);
                image.writes.push((unit, address, value));
                Ok(Response::WriteSingleRegister(address, value))
            }
            Request::WriteMultipleRegisters(address, values) => {
                let n = u16::try_from(values.len()).map_err(|_| ExceptionCode::IllegalDataValue)?;
                let known = (0..n).all(|k| {
                    address.checked_add(k).is_some_and(|a| {
                        image.registers.contains_key(&(unit, a))
                            && image.writable.contains(&(unit, a))
                    })
                });
                if !known {
                    return Err(ExceptionCode::IllegalDataAddress);
                }
                for (k, v) in values.iter().enumerate() {
                    let a = address + k as u16;
                    image.registers.insert((unit, a), *v);
                    image.writes.push((unit, a, *v));
                }
                Ok(Response::WriteMultipleRegisters(address, n))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

/// One connection's service.
struct Device(Registers);

impl Service for Device {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = future::Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        future::ready(self.0.answer(req))
    }
}

/// A running Modbus TCP listener (stopped when dropped).
pub struct ModbusServer {
    addr: SocketAddr,
    registers: Registers,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ModbusServer {
    /// Listens on `listen` (port 0: a free one) in a thread of its own.
    ///
    /// # Errors
    /// The system's error when the address cannot be bound.
    pub fn start(listen: SocketAddr) -> std::io::Result<ModbusServer> {
        let std_listener = std::net::TcpListener::bind(listen)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let registers = Registers::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let image = registers.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                    return;
                };
                let server = Server::new(listener);
                let on_connected = |stream, peer| {
                    let image = image.clone();
                    async move {
                        accept_tcp_connection(stream, peer, move |_| {
                            Ok(Some(Device(image.clone())))
                        })
                    }
                };
                let _ = server
                    .serve_until(&on_connected, |_| {}, async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(ModbusServer {
            addr,
            registers,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its registers.
    pub fn registers(&self) -> &Registers {
        &self.registers
    }
}

impl Drop for ModbusServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
