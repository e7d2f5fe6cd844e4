//! The Modbus TCP device of one's own (feature `modbus-server`) read by the poller: values
//! encoded into its registers come back decoded, a register it does not hold is refused (the
//! poller leaves it out), and setpoint writes are recorded.
#![cfg(feature = "modbus-server")]

use std::time::Duration;

use parkgrid_ingest::modbus::{ByteOrder, RegisterSpec, RegisterType, encode};
use parkgrid_ingest::modbus_server::ModbusServer;
use parkgrid_ingest::poller::{MappedValue, PollConfig, Poller};
use parkgrid_store::Quality;
use tokio_modbus::Slave;
use tokio_modbus::client::sync::{self, Writer};

fn spec(ty: RegisterType, order: ByteOrder, scale: f64) -> RegisterSpec {
    RegisterSpec {
        ty,
        order,
        scale,
        offset: 0.0,
        min: None,
        max: None,
    }
}

#[test]
fn the_poller_reads_what_the_server_holds_and_setpoints_are_recorded() {
    let server = ModbusServer::start("127.0.0.1:0".parse().expect("addr")).expect("listens");
    let regs = server.registers();
    let p = spec(RegisterType::I32, ByteOrder::Cdab, 0.1);
    let soc = spec(RegisterType::U16, ByteOrder::Abcd, 0.01);
    regs.set(3, 100, &encode(-812.4, &p));
    regs.set(3, 102, &encode(57.25, &soc));
    // Unit 4 is another device behind the same listener.
    regs.set(4, 100, &encode(1.0, &soc));
    let values = vec![
        MappedValue {
            series: "bess/p_kw".into(),
            address: 100,
            spec: p,
        },
        MappedValue {
            series: "bess/soc".into(),
            address: 102,
            spec: soc,
        },
        // Not in the device's map: refused, then left out.
        MappedValue {
            series: "bess/t_c".into(),
            address: 110,
            spec: soc,
        },
    ];
    let mut poller = Poller::new(
        PollConfig {
            addr: server.addr(),
            unit: 3,
            timeout: Duration::from_millis(500),
            retries: 2,
            backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            settle: Duration::ZERO,
            max_gap: 16,
        },
        values,
    );
    let points = poller.poll(1);
    let get = |name: &str| points.iter().find(|(s, _)| s == name).map(|(_, p)| *p);
    let pk = get("bess/p_kw").expect("p_kw read");
    assert_eq!(pk.quality, Quality::Good);
    assert!((pk.value + 812.4).abs() < 1e-9, "{}", pk.value);
    assert!((get("bess/soc").expect("soc read").value - 57.25).abs() < 1e-9);
    assert!(get("bess/t_c").is_none(), "{points:?}");
    // A setpoint written by a client to a writable register is recorded and changes what is
    // read; a write to a measurement or to no register is refused.
    regs.set_writable(3, 102, 1);
    let mut client = sync::tcp::connect_slave(server.addr(), Slave(3)).expect("connects");
    client
        .write_single_register(102, 5000)
        .expect("writes")
        .expect("accepted");
    assert!(
        client
            .write_single_register(200, 1)
            .expect("answers")
            .is_err(),
        "no register 200"
    );
    assert!(
        client
            .write_multiple_registers(100, &[1, 2])
            .expect("answers")
            .is_err(),
        "registers 100–101 are a measurement"
    );
    assert_eq!(regs.get(3, 100, 2), Some(encode(-812.4, &p)), "unchanged");
    assert_eq!(regs.take_writes(), vec![(3, 102, 5000)]);
    let again = poller.poll(2);
    let soc = again.iter().find(|(s, _)| s == "bess/soc").expect("soc").1;
    assert!((soc.value - 50.0).abs() < 1e-9);
}
