/** One product of the demo catalog; `visual` is an emoji so the web app needs no images. */
export interface Product {
  id: string;
  name: string;
  /** In euro cents, so no floating-point money. */
  price: number;
  description: string;
  visual: string;
}

export const PRODUCTS: readonly Product[] = Object.freeze([
  {
    id: 'p-espresso',
    name: 'Espresso Beans',
    price: 1490,
    description: 'A dark, chocolatey roast of Brazilian and Ethiopian beans, 1 kg.',
    visual: '☕',
  },
  {
    id: 'p-teapot',
    name: 'Cast-Iron Teapot',
    price: 4200,
    description: 'Holds 900 ml and keeps it warm through a long conversation.',
    visual: '🫖',
  },
  {
    id: 'p-notebook',
    name: 'Dotted Notebook',
    price: 1250,
    description: 'A5, 160 numbered pages of 100 g paper that fountain pens do not bleed through.',
    visual: '📓',
  },
  {
    id: 'p-headphones',
    name: 'Wireless Headphones',
    price: 12900,
    description: 'Closed-back, 30 hours of battery, and a cable for when they run out.',
    visual: '🎧',
  },
  {
    id: 'p-backpack',
    name: 'Commuter Backpack',
    price: 8900,
    description: 'Water-resistant, with a padded sleeve for a 16-inch laptop.',
    visual: '🎒',
  },
  {
    id: 'p-plant',
    name: 'Desk Plant',
    price: 1900,
    description: 'A pothos in a 12 cm ceramic pot; forgives a forgotten watering.',
    visual: '🪴',
  },
  {
    id: 'p-bicycle-light',
    name: 'Bicycle Light Set',
    price: 3500,
    description: 'Front and rear, USB-C rechargeable, visible from 500 m.',
    visual: '🚲',
  },
  {
    id: 'p-umbrella',
    name: 'Storm Umbrella',
    price: 2900,
    description: 'A vented canopy that does not turn inside out in a gale.',
    visual: '☂️',
  },
]);

const BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]));

export function findProduct(id: string): Product | undefined {
  return BY_ID.get(id);
}
