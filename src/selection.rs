//! `--select` / `--ignore`: choosing recipes by code, code prefix, recipe id or `ALL`.

use anyhow::{bail, Result};

use crate::codemods::RECIPES;
use crate::recipe::{Recipe, RecipeMeta};

/// Whether `selector` (a code, code prefix, recipe id or `ALL`, in any case) names the recipe.
pub fn matches(selector: &str, meta: &RecipeMeta) -> bool {
    selector.eq_ignore_ascii_case("ALL")
        || meta.id.eq_ignore_ascii_case(selector)
        || meta
            .code
            .to_ascii_uppercase()
            .starts_with(&selector.to_ascii_uppercase())
}

fn validate(selectors: &[String], flag: &str) -> Result<()> {
    for selector in selectors {
        if !RECIPES.iter().any(|r| matches(selector, r.meta())) {
            bail!(
                "unknown selector `{selector}` for {flag}: expected a code (AW101), a code prefix (AW1), a recipe id (time-sleep) or ALL; `awaitify recipes` lists them"
            );
        }
    }
    Ok(())
}

/// The recipes enabled by `select` (all when empty) minus those matched by `ignore`.
pub fn resolve(select: &[String], ignore: &[String]) -> Result<Vec<&'static dyn Recipe>> {
    resolve_in(select, ignore, "--select", "--ignore")
}

/// [`resolve`], naming the option or configuration key in errors.
pub fn resolve_in(
    select: &[String],
    ignore: &[String],
    select_name: &str,
    ignore_name: &str,
) -> Result<Vec<&'static dyn Recipe>> {
    validate(select, select_name)?;
    validate(ignore, ignore_name)?;
    Ok(RECIPES
        .iter()
        .copied()
        .filter(|r| select.is_empty() || select.iter().any(|s| matches(s, r.meta())))
        .filter(|r| !ignore.iter().any(|s| matches(s, r.meta())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_code_prefix_id_and_all() {
        for selector in ["AW101", "aw1", "AW", "time-sleep", "ALL"] {
            let enabled = resolve(&[selector.to_owned()], &[]).unwrap();
            assert!(
                enabled.iter().any(|r| r.meta().code == "AW101"),
                "{selector}"
            );
        }
        let without = resolve(&[], &["AW101".to_owned()]).unwrap();
        assert!(!without.is_empty() && without.iter().all(|r| r.meta().code != "AW101"));
        assert!(resolve(&["AW9".to_owned()], &[]).is_err());
        assert!(resolve(&["sleep".to_owned()], &[]).is_err());
    }
}
