// The module NyckelfriCore: the uniffi-generated bindings of nyckelfri-core
// (Generated/NyckelfriCore.swift, put there by scripts/test-swift or the
// app's build) over the C interface in the NyckelfriCoreFFI target. Nothing
// hand-written is needed yet; Swift additions to the API go in this folder.
