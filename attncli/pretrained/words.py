"""Ordinary, inoffensive English words for the induction lesson's random sequences (drawn with a seed)."""

WORDS = tuple(dict.fromkeys("""
apple table river garden window pencil orange yellow bridge candle market silver basket winter summer
forest mountain letter doctor teacher kitchen button pocket ladder planet rocket island number circle
square paper bottle carpet camera finger guitar hammer helmet jacket kettle lemon magnet needle parrot
pepper pillow rabbit saddle spoon tiger tunnel violin wagon wallet whistle wheel zebra anchor blanket
breakfast butter cabbage carrot castle cereal cheese cherry chimney clock cloud coffee cookie copper
cotton cricket dolphin donkey dragon engine feather fence field flower forest fountain garlic glass
glove grape harbor honey horse insect jelly jungle kitten lantern leaf library lizard meadow melon
mirror monkey morning muffin noodle ocean office onion oyster paint palace panda parcel peach peanut
pebble penguin piano picnic pirate pizza plate pony potato puzzle quilt radio rainbow record ribbon
robot rocket sandal school season shadow sheep shell shovel signal sister sock spider spring stamp
station stone story street sugar sweater ticket tomato tooth towel tower train trumpet turtle umbrella
valley village wafer water weather willow window wizard yogurt
""".split()))  # each word once, in order
