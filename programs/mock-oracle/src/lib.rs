//! A localnet-only oracle program. It owns price accounts in Pyth's exact
//! layouts (the legacy v2 push account and the Pyth receiver's
//! `PriceUpdateV2`) and rewrites them on request, so a local validator's
//! prices can move: on a local cluster its id is configured as the
//! exchange's Pyth program and Pyth receiver. Drift's localnet tests use the
//! same device. It checks nothing about prices and must never be deployed
//! to a public cluster.
//!
//! Instructions (little-endian, no framing beyond a one-byte tag):
//! - `0` write legacy: `price i64, conf u64, expo i32, publish_time i64,
//!   trading u8` — 29 bytes after the tag.
//! - `1` write `PriceUpdateV2`: `feed_id [u8; 32], price i64, conf u64,
//!   exponent i32, publish_time i64, verification u8 (1 = Full, 0 =
//!   Partial), num_signatures u8` — 62 bytes after the tag.
//!
//! One account: the price account, writable, owned by this program, and a
//! signer (its keypair is the only authority). It must already hold exactly
//! the layout's length (the client creates it with `create_account`).
//! `publish_time = 0` means "the validator's clock now".

pub mod layout;

use anchor_lang::prelude::SolanaSysvar;
use anchor_lang::solana_program::{
    account_info::AccountInfo, clock::Clock, instruction::AccountMeta, instruction::Instruction,
    program_error::ProgramError, pubkey::Pubkey,
};

anchor_lang::declare_id!("9bHcoux9HwwaVFY7huYLskFNUKM9P8oKcpU1wGqktSiN");

#[cfg(not(feature = "no-entrypoint"))]
anchor_lang::solana_program::entrypoint!(process_instruction);

const TAG_LEGACY: u8 = 0;
const TAG_UPDATE_V2: u8 = 1;

/// A write, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Legacy(layout::LegacyPrice),
    /// `write_authority` and `posted_slot` are set by the program.
    UpdateV2(layout::PriceUpdate),
}

impl Write {
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(63);
        match self {
            Write::Legacy(p) => {
                v.push(TAG_LEGACY);
                v.extend_from_slice(&p.price.to_le_bytes());
                v.extend_from_slice(&p.conf.to_le_bytes());
                v.extend_from_slice(&p.expo.to_le_bytes());
                v.extend_from_slice(&p.publish_time.to_le_bytes());
                v.push(p.trading as u8);
            }
            Write::UpdateV2(u) => {
                v.push(TAG_UPDATE_V2);
                v.extend_from_slice(&u.feed_id);
                v.extend_from_slice(&u.price.to_le_bytes());
                v.extend_from_slice(&u.conf.to_le_bytes());
                v.extend_from_slice(&u.exponent.to_le_bytes());
                v.extend_from_slice(&u.publish_time.to_le_bytes());
                let (level, sigs) = match u.verification {
                    layout::Verification::Full => (1, 0),
                    layout::Verification::Partial { num_signatures } => (0, num_signatures),
                };
                v.push(level);
                v.push(sigs);
            }
        }
        v
    }

    pub fn decode(data: &[u8]) -> Result<Self, ProgramError> {
        let (tag, rest) = data
            .split_first()
            .ok_or(ProgramError::InvalidInstructionData)?;
        let mut r = Reader { b: rest, at: 0 };
        let w = match *tag {
            TAG_LEGACY => Write::Legacy(layout::LegacyPrice {
                price: i64::from_le_bytes(r.take()?),
                conf: u64::from_le_bytes(r.take()?),
                expo: i32::from_le_bytes(r.take()?),
                publish_time: i64::from_le_bytes(r.take()?),
                trading: r.take::<1>()?[0] != 0,
            }),
            TAG_UPDATE_V2 => {
                let feed_id = r.take::<32>()?;
                let price = i64::from_le_bytes(r.take()?);
                let conf = u64::from_le_bytes(r.take()?);
                let exponent = i32::from_le_bytes(r.take()?);
                let publish_time = i64::from_le_bytes(r.take()?);
                let [level, sigs] = r.take::<2>()?;
                Write::UpdateV2(layout::PriceUpdate {
                    write_authority: [0; 32],
                    verification: match level {
                        1 => layout::Verification::Full,
                        0 => layout::Verification::Partial {
                            num_signatures: sigs,
                        },
                        _ => return Err(ProgramError::InvalidInstructionData),
                    },
                    feed_id,
                    price,
                    conf,
                    exponent,
                    publish_time,
                    prev_publish_time: publish_time,
                    ema_price: price,
                    ema_conf: conf,
                    posted_slot: 0,
                })
            }
            _ => return Err(ProgramError::InvalidInstructionData),
        };
        if r.at != rest.len() {
            return Err(ProgramError::InvalidInstructionData);
        }
        Ok(w)
    }

    /// The account length this write needs.
    pub fn account_len(&self) -> usize {
        match self {
            Write::Legacy(_) => layout::LEGACY_PRICE_LEN,
            Write::UpdateV2(_) => layout::PRICE_UPDATE_V2_LEN,
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ProgramError> {
        let s = self
            .b
            .get(self.at..self.at + N)
            .ok_or(ProgramError::InvalidInstructionData)?;
        self.at += N;
        Ok(s.try_into().expect("N bytes"))
    }
}

/// The instruction that writes `w` into `price_account` (which signs).
pub fn write_ix(price_account: &Pubkey, w: &Write) -> Instruction {
    Instruction {
        program_id: ID,
        accounts: vec![AccountMeta::new(*price_account, true)],
        data: w.encode(),
    }
}

pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> Result<(), ProgramError> {
    let w = Write::decode(data)?;
    let acct = accounts.first().ok_or(ProgramError::NotEnoughAccountKeys)?;
    if acct.owner != program_id {
        return Err(ProgramError::IncorrectProgramId);
    }
    if !acct.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }
    let mut d = acct.try_borrow_mut_data()?;
    if d.len() != w.account_len() {
        return Err(ProgramError::InvalidAccountData);
    }
    let clock = Clock::get()?;
    let now = |t: i64| if t == 0 { clock.unix_timestamp } else { t };
    match w {
        Write::Legacy(p) => layout::write_legacy_price(
            &mut d,
            &layout::LegacyPrice {
                publish_time: now(p.publish_time),
                ..p
            },
        ),
        Write::UpdateV2(u) => {
            let t = now(u.publish_time);
            layout::write_price_update_v2(
                &mut d,
                &layout::PriceUpdate {
                    write_authority: acct.key.to_bytes(),
                    publish_time: t,
                    prev_publish_time: t,
                    posted_slot: clock.slot,
                    ..u
                },
            )
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let l = Write::Legacy(layout::LegacyPrice {
            price: 1,
            conf: 2,
            expo: -8,
            publish_time: 0,
            trading: true,
        });
        assert_eq!(Write::decode(&l.encode()).unwrap(), l);
        assert_eq!(l.encode().len(), 30);
        let u = Write::UpdateV2(layout::PriceUpdate {
            write_authority: [0; 32],
            verification: layout::Verification::Partial { num_signatures: 5 },
            feed_id: [3; 32],
            price: 10,
            conf: 1,
            exponent: -8,
            publish_time: 5,
            prev_publish_time: 5,
            ema_price: 10,
            ema_conf: 1,
            posted_slot: 0,
        });
        assert_eq!(Write::decode(&u.encode()).unwrap(), u);
        assert_eq!(u.encode().len(), 63);
        assert!(Write::decode(&[2]).is_err());
        let mut long = l.encode();
        long.push(0);
        assert!(Write::decode(&long).is_err());
    }
}
