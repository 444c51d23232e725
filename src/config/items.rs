//! The item keys (`[[items]]`, optional) and the tips offered after Charge (`[kiosk] tips`,
//! `tip_round_up_to`, optional): checked here so that the item page and the tip step only
//! ever show names that fit and prices the terminal may charge.

use serde::Deserialize;

use super::fields::{AmountText, entry_name};
use crate::order::{Item, TipOffer};

/// The longest item name: it shares a key, and a receipt line, with its price.
const NAME_MAX_CHARS: usize = 24;
/// More keys than this would not fit the item page without scrolling past a queue's patience.
const ITEMS_MAX: usize = 60;
const TIPS_MAX: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    name: Option<String>,
    price: Option<AmountText>,
}

/// Each item has a name that fits its key and a price above zero and within `max_amount`;
/// names are unique, since the receipt and the export tell items apart by name.
pub(super) fn check_items(raw: Vec<RawItem>, max_amount_minor: i64) -> Result<Vec<Item>, String> {
    if raw.len() > ITEMS_MAX {
        return Err(format!(
            "[[items]] lists {} items; the item page takes up to {ITEMS_MAX}",
            raw.len()
        ));
    }
    let mut items: Vec<Item> = Vec::with_capacity(raw.len());
    for (index, entry) in raw.into_iter().enumerate() {
        let place = format!("[[items]] entry {}", index + 1);
        let name = entry_name(entry.name, &place, NAME_MAX_CHARS, "Rice 1 kg")?;
        let place = format!("[[items]] \"{name}\"");
        let price_minor = entry
            .price
            .ok_or_else(|| format!("{place} has no price: add price = \"12.50\""))?
            .minor_units(&format!("{place} price"))?;
        if price_minor > max_amount_minor {
            return Err(format!(
                "{place}: the price is above [kiosk] max_amount, so it could never be charged"
            ));
        }
        if items.iter().any(|item| item.name == name) {
            return Err(format!(
                "{place} is listed twice; give each item its own name"
            ));
        }
        items.push(Item { name, price_minor });
    }
    Ok(items)
}

/// `tips` are up to four percentages from 1 to 100, each once; `tip_round_up_to` an amount.
pub(super) fn check_tips(
    percents: Option<Vec<u8>>,
    round_up_to: Option<AmountText>,
) -> Result<TipOffer, String> {
    let percents = percents.unwrap_or_default();
    if percents.len() > TIPS_MAX
        || percents.iter().any(|percent| !(1..=100).contains(percent))
        || (1..percents.len()).any(|i| percents[..i].contains(&percents[i]))
    {
        return Err(format!(
            "[kiosk] tips {percents:?}: list up to {TIPS_MAX} different percentages from 1 to 100, such as [5, 10, 15], or leave the key out"
        ));
    }
    let round_up_to_minor = round_up_to
        .map(|amount| amount.minor_units("[kiosk] tip_round_up_to"))
        .transpose()?;
    Ok(TipOffer {
        percents,
        round_up_to_minor,
    })
}
