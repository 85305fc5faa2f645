//! The checker's one list of cancelkit's (and tokio-util's) observing functions and methods,
//! `src/analysis/runtime_names.in`, expanded against the real crates: every listed function
//! must resolve and every listed method must exist on its type, or this file does not compile.

#![allow(unused_imports)]

macro_rules! runtime_names {
    (
        check_fns: [$($($cf:ident)::+),* $(,)?],
        aware_fns: [$($($af:ident)::+),* $(,)?],
        check_methods: [$([$($cty:tt)+]::$cm:ident $(::<$($cg:ty),*>)?),* $(,)?],
        aware_methods: [$([$($aty:tt)+]::$am:ident $(::<$($ag:ty),*>)?),* $(,)?],
    ) => {
        $(use $($cf)::+ as _;)*
        $(use $($af)::+ as _;)*
        /// Every method, named through its type, as a value.
        #[test]
        fn every_listed_name_is_in_the_real_api() {
            $(let _ = <$($cty)+>::$cm $(::<$($cg),*>)?;)*
            $(let _ = <$($aty)+>::$am $(::<$($ag),*>)?;)*
        }
    };
}

include!("../src/analysis/runtime_names.in");
