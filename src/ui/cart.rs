//! The cart of the keypad screen's item page: which item keys were tapped and how many times,
//! in the order first tapped. The flow adds the amount typed beside it and makes the sale's
//! `Order` from both.

use crate::order::{Item, OrderLine};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    /// (index into the shop's items, how many), in the order first tapped.
    lines: Vec<(usize, u32)>,
}

impl Cart {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn add(&mut self, item: usize) {
        match self.lines.iter_mut().find(|(index, _)| *index == item) {
            Some((_, count)) => *count = count.saturating_add(1),
            None => self.lines.push((item, 1)),
        }
    }

    /// One fewer of `item`; its line goes at none.
    pub fn remove_one(&mut self, item: usize) {
        if let Some((_, count)) = self.lines.iter_mut().find(|(index, _)| *index == item) {
            *count -= 1;
        }
        self.lines.retain(|(_, count)| *count > 0);
    }

    /// The cart as lines of the order, at the items' prices.
    pub fn order_lines(&self, items: &[Item]) -> Vec<(usize, OrderLine)> {
        self.lines
            .iter()
            .filter_map(|&(index, quantity)| {
                let item = items.get(index)?;
                Some((
                    index,
                    OrderLine {
                        name: item.name.clone(),
                        unit_minor: item.price_minor,
                        quantity,
                    },
                ))
            })
            .collect()
    }

    pub fn total_minor(&self, items: &[Item]) -> i64 {
        self.order_lines(items)
            .iter()
            .map(|(_, line)| line.total_minor())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_count_up_and_removing_counts_down() {
        let items = [
            Item {
                name: "Soap".into(),
                price_minor: 1250,
            },
            Item {
                name: "Rice".into(),
                price_minor: 4000,
            },
        ];
        let mut cart = Cart::default();
        cart.add(1);
        cart.add(0);
        cart.add(1);
        let lines = cart.order_lines(&items);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].0, lines[0].1.label()), (1, "2 x Rice".into()));
        assert_eq!(cart.total_minor(&items), 9250);
        cart.remove_one(1);
        cart.remove_one(0);
        assert_eq!(cart.total_minor(&items), 4000);
        cart.remove_one(1);
        assert!(cart.is_empty());
    }
}
