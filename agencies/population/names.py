"""Name, nickname, street and town lists for the synthetic Avonshire population.

Given names come in four generations (born before 1950, 1950-1974, 1975-1999, from 2000), each
listed most popular first; surnames come in frequency tiers (weight per 100,000 people). All of it
is invented or commonplace; no list here describes a real person.
"""

from __future__ import annotations

from dataclasses import dataclass


def _split(names: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in names.split(",") if name.strip())


# Birth-year boundaries of the four given-name generations.
GENERATION_STARTS: tuple[int, ...] = (1950, 1975, 2000)

MALE_GIVEN_NAMES: tuple[tuple[str, ...], ...] = (
    _split(
        "John, William, George, Thomas, James, Robert, Arthur, Frederick, Albert, Charles,"
        " Ernest, Harold, Kenneth, Ronald, Henry, Alfred, Walter, Leslie, Dennis, Stanley,"
        " Frank, Edward, Joseph, Richard, Peter, Raymond, Donald, Reginald, Norman, Douglas,"
        " Cyril, Eric, Sidney, Herbert, Percy, Leonard, Gordon, Roy, Alan, Bernard, Derek,"
        " Brian, Geoffrey, Victor, Horace, Wilfred, Clifford, Cecil, Maurice, Harry, Jack,"
        " Samuel, Francis, Gerald, Lawrence, Ralph, Howard, Edwin, Archibald, Herbert, Clarence"
    ),
    _split(
        "David, John, Paul, Mark, Michael, Andrew, Peter, Stephen, Robert, Richard, Ian,"
        " Christopher, Anthony, Gary, Kevin, Alan, Steven, Philip, Martin, Neil, Simon, Graham,"
        " Keith, Colin, Nigel, Timothy, Jonathan, Trevor, Barry, Terence, Malcolm, Roger,"
        " Adrian, Russell, Clive, Jeffrey, Nicholas, Patrick, Martyn, Gareth, Stuart, Kenneth,"
        " Raymond, Derek, Geoffrey, Laurence, Duncan, Rajesh, Sanjay, Mohammed, Desmond,"
        " Lloyd, Vincent, Francis"
    ),
    _split(
        "Daniel, James, Matthew, Christopher, Thomas, David, Michael, Andrew, Adam, Ryan,"
        " Luke, Jamie, Mark, Robert, Benjamin, Samuel, Joshua, Jonathan, Richard, Liam,"
        " Nathan, Craig, Scott, Ashley, Lee, Joseph, Steven, Alexander, Jack, Oliver, Gareth,"
        " Stephen, Jordan, Kieran, Callum, Aaron, Connor, Bradley, Dean, Paul, Carl, Kyle,"
        " Jake, Lewis, Sean, Jason, Darren, Wayne, Shaun, Stuart, Mohammed, Imran, Piotr,"
        " Tomasz, Kwame, Ravi, Dominic, Nicholas, Timothy, Patrick"
    ),
    _split(
        "Oliver, Jack, Harry, George, Noah, Charlie, Jacob, Alfie, Freddie, Oscar, Leo,"
        " Arthur, Muhammad, Archie, Theo, Joshua, Thomas, William, James, Henry, Logan,"
        " Alexander, Isaac, Ethan, Lucas, Max, Finley, Edward, Joseph, Mason, Dylan, Harrison,"
        " Samuel, Daniel, Adam, Sebastian, Riley, Reuben, Toby, Teddy, Louie, Elijah, Jude,"
        " Ronnie, Albie, Tommy, Rory, Hugo, Jayden, Kai, Zachary, Caleb, Luca, Ibrahim, Yusuf,"
        " Aarav, Ezra, Arlo, Hunter, Frankie, Stanley, Albert, Benjamin, Matthew"
    ),
)

FEMALE_GIVEN_NAMES: tuple[tuple[str, ...], ...] = (
    _split(
        "Mary, Margaret, Dorothy, Doris, Joan, Joyce, Elizabeth, Irene, Edna, Ethel,"
        " Florence, Vera, Gladys, Winifred, Violet, Hilda, Lilian, Marjorie, Eileen,"
        " Kathleen, Phyllis, Barbara, Jean, Patricia, Sheila, Audrey, Iris, Elsie, Rose, Ivy,"
        " Mabel, Annie, Ada, Alice, Edith, Evelyn, Muriel, Olive, Sylvia, Beryl, Brenda,"
        " Shirley, Maureen, Pamela, June, Valerie, Rita, Hazel, Gwendoline, Constance, Agnes,"
        " Josephine, Frances, Dorothea, Nora, Mildred"
    ),
    _split(
        "Susan, Linda, Christine, Margaret, Janet, Patricia, Carol, Elizabeth, Mary, Anne,"
        " Jane, Jacqueline, Deborah, Julie, Karen, Sarah, Helen, Alison, Gillian, Lesley,"
        " Sandra, Elaine, Diane, Pauline, Angela, Tracey, Nicola, Amanda, Joanne, Catherine,"
        " Dawn, Denise, Beverley, Wendy, Michelle, Lisa, Caroline, Julia, Teresa, Sharon,"
        " Fiona, Yvonne, Heather, Jennifer, Katherine, Claire, Rachel, Kathryn, Marion,"
        " Rosemary, Judith, Penelope, Valerie, Anita, Geraldine, Theresa"
    ),
    _split(
        "Sarah, Laura, Emma, Rebecca, Gemma, Hannah, Amy, Jessica, Charlotte, Lauren, Katie,"
        " Sophie, Stacey, Kirsty, Rachel, Victoria, Nicola, Samantha, Natalie, Jennifer, Zoe,"
        " Kelly, Lucy, Danielle, Emily, Amanda, Claire, Kayleigh, Jade, Leanne, Hayley,"
        " Stephanie, Louise, Catherine, Elizabeth, Holly, Chloe, Abigail, Naomi, Alexandra,"
        " Jodie, Kerry, Donna, Amber, Megan, Bethany, Fatima, Aisha, Agnieszka, Priya,"
        " Joanne, Lindsey, Harriet, Eleanor, Francesca"
    ),
    _split(
        "Olivia, Amelia, Isla, Ava, Emily, Sophia, Grace, Mia, Poppy, Ella, Lily, Evie,"
        " Isabella, Sophie, Ivy, Freya, Harper, Willow, Isabelle, Charlotte, Florence, Daisy,"
        " Phoebe, Sienna, Rosie, Jessica, Chloe, Matilda, Evelyn, Ruby, Elsie, Millie, Alice,"
        " Layla, Maisie, Eva, Aria, Scarlett, Erin, Lola, Imogen, Holly, Zara, Hannah, Esme,"
        " Ellie, Lucy, Maya, Amber, Nancy, Bonnie, Thea, Maryam, Elizabeth, Mila, Violet,"
        " Harriet, Emilia, Summer, Robyn, Eleanor, Abigail"
    ),
)

# Surname tiers: (weight per 100,000 people, names). Double-barrelled and prefixed names are in
# the tail; families add more double-barrelled names when partners' surnames are combined.
SURNAME_TIERS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1150, _split("Smith")),
    (750, _split("Jones")),
    (600, _split("Williams")),
    (530, _split("Taylor, Brown")),
    (430, _split("Davies")),
    (330, _split("Evans, Wilson")),
    (280, _split("Thomas, Johnson, Roberts")),
    (240, _split("Robinson, Thompson, Wright, Walker")),
    (210, _split("White, Edwards, Hughes, Green, Hall")),
    (190, _split("Lewis, Harris, Clarke, Patel, Jackson")),
    (165, _split("Wood, Turner, Martin, Cooper, Hill, Ward, Morris, Moore")),
    (145, _split("Clark, Lee, King, Baker, Harrison, Morgan, Allen, James, Scott")),
    (120, _split("Phillips, Watson, Davis, Parker, Price, Bennett, Young, Griffiths, Mitchell")),
    (
        100,
        _split(
            "Kelly, Cook, Carter, Richardson, Bailey, Collins, Bell, Shaw, Murphy, Miller, Cox,"
            " Richards, Khan, Marshall, Anderson, Simpson, Ellis, Adams"
        ),
    ),
    (
        80,
        _split(
            "Singh, Begum, Wilkinson, Foster, Chapman, Powell, Webb, Rogers, Gray, Mason, Ali,"
            " Hunt, Hussain, Campbell, Matthews, Owen, Palmer, Holmes, Mills, Barnes, Knight,"
            " Lloyd, Butler, Russell, Barker, Fisher, Stevens, Jenkins, Murray, Dixon, Harvey"
        ),
    ),
    (
        60,
        _split(
            "Graham, Pearson, Ahmed, Fletcher, Walsh, Kaur, Gibson, Howard, Andrews, Stewart,"
            " Elliott, Reynolds, Saunders, Payne, Fox, Ford, Pearce, Day, Brooks, West, Lawrence,"
            " Cole, Atkinson, Bradley, Spencer, Gill, Dawson, Ball, Burton, O'Brien, Watts, Rose,"
            " Booth, Perry, Ryan, Grant, Wells, Armstrong, Francis, Rees"
        ),
    ),
    (
        45,
        _split(
            "Hayes, Hart, Hudson, Newman, Barrett, Webster, Hunter, Gregory, Carr, Lowe, Page,"
            " Marsh, Riley, Dunn, Woods, Parsons, Berry, Stone, Reid, Holland, Hawkins, Harding,"
            " Porter, Robertson, Newton, Oliver, Reed, Kennedy, Williamson, Bird, Gardner, Shah,"
            " Dean, Lane, Cooke, Bates, Henderson, Parry, Burgess, Bishop, Walton, Burns,"
            " Nicholson, Shepherd, Ross, Cross, Long, Freeman, Warren, Nicholls, Hamilton, Byrne,"
            " Sutton, McDonald, Yates, Hodgson, Robson, Curtis, Hopkins, O'Connor"
        ),
    ),
    (
        32,
        _split(
            "Harper, Coleman, Watkins, Moss, McCarthy, Chambers, O'Neill, Griffin, Sharp, Hardy,"
            " Wheeler, Potter, Osborne, Johnston, Gordon, Doyle, Wallace, George, Jordan,"
            " Hutchinson, Rowe, Burke, May, Pritchard, Gilbert, Willis, Higgins, Read, Miles,"
            " Stevenson, Stephenson, Hammond, Arnold, Buckley, Walters, Hewitt, Barber, Nelson,"
            " Slater, Austin, Sullivan, Whitehead, Mann, Frost, Lambert, Stephens, Blake, Akhtar,"
            " Lynch, Goodwin, Barton, Woodward, Thomson, Cunningham, Quinn, Barnett, Baxter, Bibi,"
            " Clayton, Nash"
        ),
    ),
    (
        22,
        _split(
            "Greenwood, Jennings, Holt, Kemp, Poole, Gallagher, Bond, Stokes, Tucker, Davidson,"
            " Fowler, Heath, Norman, Middleton, Banks, French, Thornton, Jarvis, Hodges, Lamb,"
            " Pugh, Bowen, Howell, Sheppard, Vaughan, Ashton, Dale, Moran, Field, Chandler,"
            " Fuller, Daniels, Wyatt, Knowles, Hicks, Rowley, Cartwright, Iqbal, Rahman,"
            " Chaudhry, MacDonald, McKenzie, MacLeod, O'Sullivan, D'Souza, Kowalski, Nowak,"
            " Nguyen, Brennan, Conway, Doherty, Fitzgerald, Kaminski, Mistry"
        ),
    ),
    (
        14,
        _split(
            "Trevelyan, Pengelly, Penrose, Tremayne, Ashdown, Fairbrother, Quartermaine,"
            " Winterbottom, Zielinski, Wisniewski, Okafor, Adeyemi, Mensah, Owusu, Costa, Silva,"
            " Santos, Ferreira, Rossi, Papadopoulos, Dubois, Novak, Horvath, Schmidt, Muller,"
            " Jansen, Li, Wang, Chen, Zhang, Kumar, Sharma, Desai, Chowdhury, Uddin, Mahmood,"
            " Malik, Yilmaz, Demir, Ivanov, Petrov, McIntyre, McLaughlin, McGregor, O'Reilly,"
            " O'Donnell, O'Hara, Fitzpatrick, de la Cruz, van der Berg, Da Silva, St John,"
            " le Grand, Hughes-Morgan, Smith-Jones, Lloyd-Williams, Vaughan-Thomas, Fox-Taylor,"
            " Ashby-Clarke, Bennett-Hale, Morgan-Price, Carter-Wells, Parry-Evans, Wyndham-Lewis,"
            " Heath-Stubbs, Rhys-Davies, Owen-Jones"
        ),
    ),
    (
        8,
        _split(
            "Ackroyd, Blandford, Cattermole, Dimmock, Entwistle, Fothergill, Gurney, Haddock,"
            " Ingleby, Jolliffe, Kettle, Loveday, Muggeridge, Nethercott, Oddie, Pargeter,"
            " Quaife, Rudd, Scrivener, Tolley, Underhill, Venables, Wadsworth, Yelland, Zouch,"
            " Ambrose, Bickerstaff, Clutterbuck, Dunnington, Eagleton, Fenwick, Gosling,"
            " Hebblethwaite, Ibbotson, Jellicoe, Kingdom, Lusty, Mapplebeck, Nightingale,"
            " Ollerenshaw, Pennyfeather, Quiller, Rawcliffe, Sidebottom, Thistlethwaite,"
            " Umfreville, Vosper, Whitlock, Yarwood, Allsop, Bagshaw, Crabtree, Dobbs, Earnshaw,"
            " Flitcroft, Grimshaw, Hargreaves, Illingworth, Jagger, Kershaw, Lumb, Marsden,"
            " Nuttall, Oldroyd, Pickles, Ramsbottom, Sutcliffe, Tattersall, Uttley, Wardle,"
            " Ainsworth, Brierley, Critchley, Duckworth, Eccles, Fairclough, Greenhalgh, Haworth,"
            " Isherwood, Jowett, Kenyon, Lightfoot, Mellor, Penhaligon, Trethewey, Chynoweth"
        ),
    ),
)

# Each group: a formal given name and the forms people use for it.
NICKNAME_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Margaret", ("Peggy", "Maggie", "Meg", "Maggie")),
    ("John", ("Jack", "Johnny")),
    ("William", ("Bill", "Will", "Billy")),
    ("Robert", ("Bob", "Rob", "Bobby", "Robbie")),
    ("Elizabeth", ("Liz", "Beth", "Betty", "Lizzie")),
    ("Katherine", ("Kate", "Katie", "Kath")),
    ("Catherine", ("Cathy", "Kate", "Cath")),
    ("Kathryn", ("Kate", "Katie")),
    ("Kathleen", ("Kath", "Kathy")),
    ("Richard", ("Dick", "Rich", "Richie")),
    ("Edward", ("Ted", "Ed", "Eddie")),
    ("James", ("Jim", "Jimmy", "Jamie")),
    ("Alexander", ("Alex", "Sandy")),
    ("Alexandra", ("Alex", "Lexi")),
    ("Thomas", ("Tom", "Tommy")),
    ("Michael", ("Mike", "Mick", "Mickey")),
    ("Anthony", ("Tony", "Ant")),
    ("Christopher", ("Chris", "Kit")),
    ("Christine", ("Chris", "Chrissie")),
    ("Jennifer", ("Jen", "Jenny")),
    ("Susan", ("Sue", "Susie")),
    ("Patricia", ("Pat", "Trish", "Tricia")),
    ("Rebecca", ("Becky", "Becca")),
    ("Samantha", ("Sam", "Sammy")),
    ("Samuel", ("Sam", "Sammy")),
    ("Victoria", ("Vicky", "Tori")),
    ("Daniel", ("Dan", "Danny")),
    ("David", ("Dave", "Davy")),
    ("Stephen", ("Steve",)),
    ("Steven", ("Steve",)),
    ("Andrew", ("Andy", "Drew")),
    ("Matthew", ("Matt",)),
    ("Benjamin", ("Ben", "Benny")),
    ("Joseph", ("Joe", "Joey")),
    ("Nicholas", ("Nick", "Nicky")),
    ("Jonathan", ("Jon", "Jonny")),
    ("Timothy", ("Tim", "Timmy")),
    ("Peter", ("Pete",)),
    ("Philip", ("Phil",)),
    ("Gerald", ("Gerry",)),
    ("Frederick", ("Fred", "Freddie")),
    ("Albert", ("Bert", "Albie")),
    ("Alfred", ("Alf", "Alfie")),
    ("Harold", ("Harry", "Hal")),
    ("Henry", ("Harry", "Hal")),
    ("Charles", ("Charlie", "Chas")),
    ("Leonard", ("Len", "Lenny")),
    ("Kenneth", ("Ken", "Kenny")),
    ("Ronald", ("Ron", "Ronnie")),
    ("Donald", ("Don", "Donny")),
    ("Raymond", ("Ray",)),
    ("Douglas", ("Doug", "Dougie")),
    ("Francis", ("Frank", "Fran")),
    ("Frances", ("Fran", "Frankie")),
    ("Lawrence", ("Larry", "Laurie")),
    ("Laurence", ("Laurie", "Larry")),
    ("Stanley", ("Stan",)),
    ("Walter", ("Wally", "Walt")),
    ("Joshua", ("Josh",)),
    ("Nathan", ("Nate", "Nat")),
    ("Oliver", ("Ollie",)),
    ("Zachary", ("Zach",)),
    ("Barbara", ("Barb", "Babs")),
    ("Dorothy", ("Dot", "Dolly", "Dottie")),
    ("Deborah", ("Debbie", "Deb")),
    ("Pamela", ("Pam",)),
    ("Jacqueline", ("Jackie",)),
    ("Abigail", ("Abbie", "Abi")),
    ("Jessica", ("Jess", "Jessie")),
    ("Charlotte", ("Charlie", "Lottie")),
    ("Amanda", ("Mandy",)),
    ("Josephine", ("Jo", "Josie")),
    ("Joanne", ("Jo",)),
    ("Eleanor", ("Ellie", "Nell")),
    ("Florence", ("Flo", "Florrie")),
    ("Valerie", ("Val",)),
    ("Gillian", ("Gill", "Jill")),
    ("Sandra", ("Sandy",)),
    ("Penelope", ("Penny",)),
    ("Natalie", ("Nat",)),
    ("Stephanie", ("Steph",)),
    ("Louise", ("Lou",)),
    ("Caroline", ("Carrie", "Caz")),
    ("Harriet", ("Hattie",)),
    ("Matilda", ("Tilly",)),
    ("Isabella", ("Izzy", "Bella")),
    ("Isabelle", ("Izzy", "Belle")),
    ("Geoffrey", ("Geoff",)),
    ("Leslie", ("Les",)),
    ("Terence", ("Terry",)),
    ("Clifford", ("Cliff",)),
    ("Reginald", ("Reg", "Reggie")),
    ("Bernard", ("Bernie",)),
    ("Sidney", ("Sid",)),
    ("Herbert", ("Herb", "Bert")),
    ("Wilfred", ("Wilf",)),
    ("Gareth", ("Gaz",)),
    ("Bradley", ("Brad",)),
    ("Callum", ("Cal",)),
    ("Jacob", ("Jake",)),
    ("Edith", ("Edie",)),
    ("Winifred", ("Winnie",)),
    ("Gwendoline", ("Gwen",)),
    ("Mary", ("Molly", "Polly")),
    ("Anne", ("Annie",)),
    ("Judith", ("Judy",)),
    ("Teresa", ("Tess", "Terri")),
    ("Theresa", ("Tess", "Terri")),
    ("Rosemary", ("Rosie",)),
    ("Beverley", ("Bev",)),
    ("Danielle", ("Dani",)),
    ("Gemma", ("Gem",)),
    ("Theodore", ("Theo", "Ted")),
    ("Mohammed", ("Mo",)),
    ("Muhammad", ("Mo",)),
    ("Archibald", ("Archie",)),
    ("Vincent", ("Vince", "Vinny")),
    ("Dominic", ("Dom",)),
    ("Francesca", ("Fran", "Frankie")),
    ("Priya", ("Pri",)),
)

NICKNAMES: dict[str, tuple[str, ...]] = {
    formal: tuple(dict.fromkeys(short)) for formal, short in NICKNAME_GROUPS
}

TITLES_MALE: tuple[str, ...] = ("Mr", "Mr", "Mr", "Mr", "Dr")
TITLES_FEMALE: tuple[str, ...] = ("Mrs", "Mrs", "Ms", "Miss", "Dr")


@dataclass(frozen=True, slots=True)
class Town:
    """A town of the fictional county, the postcode districts that cover it and its hospital."""

    code: str
    name: str
    trust_code: str
    districts: tuple[tuple[str, int], ...]  # (outward code, relative population)


TOWNS: tuple[Town, ...] = (
    Town("NG", "Northgate", "NGH", (("SN1", 6), ("SN2", 6), ("SN3", 6), ("SN4", 6))),
    Town("KM", "Kingsmead", "NGH", (("SN5", 4), ("SN6", 4))),
    Town("AW", "Ashworth", "NGH", (("SN7", 3),)),
    Town("HB", "Hollybrook", "NGH", (("SN8", 3),)),
    Town("AF", "Avonford", "RGH", (("SN9", 5), ("SN10", 5), ("SN11", 5))),
    Town("HW", "Hollowell", "RGH", (("SN12", 3), ("SN13", 3))),
    Town("BD", "Bramley Down", "RGH", (("SN14", 2),)),
    Town("WC", "Westcombe", "RGH", (("SN15", 3), ("SN16", 3))),
    Town("LC", "Lydcombe", "RGH", (("BA13", 2),)),
    Town("FM", "Frampton Mallet", "RGH", (("BA14", 2),)),
    Town("CH", "Coldharbour", "RGH", (("BA15", 2),)),
    Town("EB", "Eastbury", "EDH", (("SP1", 6), ("SP2", 6), ("SP3", 6))),
    Town("SA", "Stoke Avon", "EDH", (("SP4", 4),)),
    Town("MB", "Millbrook", "EDH", (("SP5", 4),)),
    Town("TM", "Thornbury Magna", "EDH", (("BA12", 3),)),
)

# Inward codes are a digit then two letters; these letters never appear in them.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

STREET_STEMS: tuple[str, ...] = _split(
    "Church, Mill, High, Station, Park, Victoria, Queens, Kings, Albert, New, School, Manor,"
    " Chapel, Green, North, South, West, East, London, Bath, Castle, Springfield, Orchard,"
    " Meadow, Windsor, Grange, Highfield, Beech, Oak, Elm, Ash, Willow, Cedar, Chestnut,"
    " Hawthorn, Holly, Rowan, Sycamore, Birch, Larch, Maple, Poplar, Lime, Acacia, Laurel,"
    " Hazel, Juniper, Heather, Primrose, Bluebell, Foxglove, Clover, Kingfisher, Heron,"
    " Swallow, Falcon, Kestrel, Mallard, Wren, Robin, Lark, Nightingale, Avon, Severn, Kennet,"
    " Nadder, Brook, River, Bridge, Ferry, Quarry, Forge, Tannery, Brewery, Wharf, Canal, Lock,"
    " Weir, Hill, Ridgeway, Downs, Vale, Coombe, Barrow, Moor, Marsh, Common, Heath, Fairfield,"
    " Westfield, Eastfield, Northfield, Southfield, Broadway, Market, Sheep, Wool, Silver,"
    " Copper, St John's, St Mary's, St Andrew's, St George's, Abbey, Priory, Friars, Bishops,"
    " Vicarage, Rectory, Glebe, Tithe, Barn, Farm, Dairy, Stable, Coach, Pound, Nelson,"
    " Wellington, Marlborough, Jubilee, Coronation, Alexandra, Stanley, Raleigh, Drake, Brunel,"
    " Telford, Darwin, Newton, Shakespeare, Milton, Chaucer, Tennyson, Wordsworth, Austen,"
    " Constable, Turner, Gainsborough, Elgar, Purcell, Cherry, Plum, Apple, Pear, Damson,"
    " Walnut, Hornbeam, Alder, Aspen, Linden, Mulberry, Badger, Otter, Fox, Hare, Sandpiper"
)

# (suffix, weight, abbreviation used by some systems)
STREET_SUFFIXES: tuple[tuple[str, int, str], ...] = (
    ("Road", 25, "Rd"),
    ("Street", 12, "St"),
    ("Lane", 12, "Ln"),
    ("Close", 12, "Cl"),
    ("Avenue", 7, "Ave"),
    ("Drive", 7, "Dr"),
    ("Way", 6, "Way"),
    ("Crescent", 4, "Cres"),
    ("Gardens", 4, "Gdns"),
    ("Place", 3, "Pl"),
    ("Court", 3, "Ct"),
    ("Grove", 3, "Gr"),
    ("Terrace", 3, "Terr"),
    ("Rise", 2, "Rise"),
    ("Mews", 2, "Mews"),
    ("View", 2, "View"),
    ("Walk", 1, "Wlk"),
    ("Row", 1, "Row"),
)

BUILDING_SUFFIXES: tuple[str, ...] = ("House", "Court", "Lodge", "Heights", "Point", "Mansions")
