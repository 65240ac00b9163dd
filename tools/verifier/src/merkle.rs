//! RFC 6962 / RFC 9162 Merkle tree arithmetic with BLAKE3 (docs/FORMAT.md §3), written independently of
//! kpi-ledger: a root by a stack of peaks, and the two verification algorithms of RFC 9162 §2.1.3.2 and
//! §2.1.4.2, step by step.

type Hash = [u8; 32];

pub fn leaf(event_hash: &Hash) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[0x00]);
    hasher.update(event_hash);
    *hasher.finalize().as_bytes()
}

pub fn node(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&[0x01]);
    hasher.update(left);
    hasher.update(right);
    *hasher.finalize().as_bytes()
}

/// The roots of the complete subtrees of the leaves pushed so far, largest first.
#[derive(Default)]
pub struct Peaks {
    size: u64,
    peaks: Vec<Hash>,
}

impl Peaks {
    pub fn push(&mut self, leaf_hash: Hash) {
        self.peaks.push(leaf_hash);
        self.size += 1;
        let mut merges = self.size.trailing_zeros();
        while merges > 0 {
            let right = self.peaks.pop().expect("two peaks to merge");
            let left = self.peaks.pop().expect("two peaks to merge");
            self.peaks.push(node(&left, &right));
            merges -= 1;
        }
    }

    /// MTH of all leaves pushed: fold the peaks from the right.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        match peaks.next() {
            None => *blake3::hash(b"").as_bytes(),
            Some(last) => peaks.fold(*last, |right, left| node(left, &right)),
        }
    }
}

/// RFC 9162 §2.1.3.2.
pub fn verify_inclusion(leaf_hash: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), String> {
    if index >= size {
        return Err(format!("leaf index {index} is not below tree size {size}"));
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err("proof is longer than the tree is deep".into());
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err("proof is shorter than the tree is deep".into());
    }
    if r != *root {
        return Err("the proof does not lead to the signed root".into());
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), String> {
    if old_size == 0 {
        return Err("old size 0: the empty tree is a prefix of every tree, there is nothing to prove".into());
    }
    if old_size > new_size {
        return Err(format!("old size {old_size} is larger than new size {new_size}: a tree never shrinks"));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err("equal sizes need an empty proof".into());
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err("equal sizes, different roots (the ledger was forked or rewritten)".into())
        };
    }
    if proof.is_empty() {
        return Err("empty proof between different sizes".into());
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (first, rest) = path.split_first().ok_or("empty proof")?;
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return Err("proof is longer than needed".into());
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node(c, &f_r);
            s_r = node(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err("proof is shorter than needed".into());
    }
    if f_r != *old_root {
        return Err("the proof does not lead to the old signed root".into());
    }
    if s_r != *new_root {
        return Err("the proof does not lead to the new signed root (the ledger was forked or rewritten)".into());
    }
    Ok(())
}
