//! `wasiport-wasmedge-worker`: the process in which a host that does not link libwasmedge
//! (`wasiport-wasmedge-process`, and so the `wasiport` command) runs and compiles modules on
//! WasmEdge. Not a program to run by hand.

fn main() {
    wasiport_wasmedge::worker_main();
}
