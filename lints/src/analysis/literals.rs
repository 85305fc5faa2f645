//! Literal values written in the code: `true`, `0`, `1u8`, `(0x0)`. Every rule that asks "is
//! this the literal N" asks here, so a suffix, a base or parentheses are read the same way
//! everywhere.

use syn::Expr;

/// `true` or `false`, written as a literal (through parentheses).
pub(crate) fn bool_lit(e: &Expr) -> Option<bool> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Some(b.value),
        Expr::Paren(p) => bool_lit(&p.expr),
        _ => None,
    }
}

/// An integer literal's value (through parentheses), whatever its suffix or base: `0`, `0u32`
/// and `0x0` are all 0. `None` for anything else, and for a literal too large for `u128`.
pub(crate) fn int_lit(e: &Expr) -> Option<u128> {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse().ok(),
        Expr::Paren(p) => int_lit(&p.expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(src: &str) -> Expr {
        syn::parse_str(src).expect("expression")
    }

    #[test]
    fn bool_lit_reads_a_literal_through_parentheses_only() {
        assert_eq!(bool_lit(&expr("true")), Some(true));
        assert_eq!(bool_lit(&expr("(false)")), Some(false));
        assert_eq!(bool_lit(&expr("!true")), None);
        assert_eq!(bool_lit(&expr("done")), None);
    }

    #[test]
    fn int_lit_reads_any_suffix_and_base() {
        assert_eq!(int_lit(&expr("0")), Some(0));
        assert_eq!(int_lit(&expr("0u32")), Some(0));
        assert_eq!(int_lit(&expr("0x0")), Some(0));
        assert_eq!(int_lit(&expr("(1usize)")), Some(1));
        assert_eq!(int_lit(&expr("0b1")), Some(1));
        assert_eq!(int_lit(&expr("1.0")), None);
        assert_eq!(int_lit(&expr("-1")), None);
        assert_eq!(int_lit(&expr("n")), None);
    }
}
