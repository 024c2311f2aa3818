//! The syscall bridge for native (non-SBF) runs.
//!
//! solana-program-test 4.2.2 installs its syscall stubs (CPI, sysvars, logs)
//! into solana-sysvar 4.x's registry, while anchor-lang 1.2.2 reads sysvars
//! and invokes CPIs through solana-sysvar 3.x's. Unbridged, `Rent::get()`
//! fails and a CPI silently does nothing yet returns Ok. After the first test
//! context has started, this takes program-test's stubs out of the 4.x
//! registry and installs forwarders to them into both registries.

use solana_account_info::AccountInfo;
use solana_instruction::Instruction;
use solana_program_error::ProgramResult;
use solana_pubkey::Pubkey;
use std::sync::{Arc, Once};

type Stubs4 = dyn sysvar4::program_stubs::SyscallStubs;

struct Forward(Arc<Box<Stubs4>>);

struct Placeholder;
impl sysvar4::program_stubs::SyscallStubs for Placeholder {}

macro_rules! forward_all {
    ($trait_:path) => {
        impl $trait_ for Forward {
            fn sol_log(&self, message: &str) {
                self.0.sol_log(message)
            }
            fn sol_log_compute_units(&self) {
                self.0.sol_log_compute_units()
            }
            fn sol_remaining_compute_units(&self) -> u64 {
                self.0.sol_remaining_compute_units()
            }
            fn sol_invoke_signed(
                &self,
                instruction: &Instruction,
                account_infos: &[AccountInfo],
                signers_seeds: &[&[&[u8]]],
            ) -> ProgramResult {
                self.0
                    .sol_invoke_signed(instruction, account_infos, signers_seeds)
            }
            fn sol_get_sysvar(&self, id: *const u8, var: *mut u8, offset: u64, length: u64) -> u64 {
                self.0.sol_get_sysvar(id, var, offset, length)
            }
            fn sol_get_clock_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_clock_sysvar(var)
            }
            fn sol_get_epoch_schedule_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_epoch_schedule_sysvar(var)
            }
            fn sol_get_fees_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_fees_sysvar(var)
            }
            fn sol_get_rent_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_rent_sysvar(var)
            }
            fn sol_get_epoch_rewards_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_epoch_rewards_sysvar(var)
            }
            fn sol_get_last_restart_slot(&self, var: *mut u8) -> u64 {
                self.0.sol_get_last_restart_slot(var)
            }
            fn sol_get_epoch_stake(&self, vote: *const u8) -> u64 {
                self.0.sol_get_epoch_stake(vote)
            }
            unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
                unsafe { self.0.sol_memcpy(dst, src, n) }
            }
            unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
                unsafe { self.0.sol_memmove(dst, src, n) }
            }
            unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
                unsafe { self.0.sol_memcmp(s1, s2, n, result) }
            }
            unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
                unsafe { self.0.sol_memset(s, c, n) }
            }
            fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
                self.0.sol_get_return_data()
            }
            fn sol_set_return_data(&self, data: &[u8]) {
                self.0.sol_set_return_data(data)
            }
            fn sol_log_data(&self, fields: &[&[u8]]) {
                self.0.sol_log_data(fields)
            }
            fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
                self.0.sol_get_processed_sibling_instruction(index)
            }
            fn sol_get_stack_height(&self) -> u64 {
                self.0.sol_get_stack_height()
            }
        }
    };
}
forward_all!(sysvar4::program_stubs::SyscallStubs);
forward_all!(sysvar3::program_stubs::SyscallStubs);

static BRIDGE: Once = Once::new();

/// Installs the bridge once per process. Call it after the first
/// `ProgramTest::start_with_context` (which installs program-test's stubs).
pub fn install() {
    BRIDGE.call_once(|| {
        let program_test_stubs = sysvar4::program_stubs::set_syscall_stubs(Box::new(Placeholder));
        let shared = Arc::new(program_test_stubs);
        sysvar4::program_stubs::set_syscall_stubs(Box::new(Forward(shared.clone())));
        sysvar3::program_stubs::set_syscall_stubs(Box::new(Forward(shared)));
    });
}
