-- manpage.lua - pandoc filter: one of our format documents (docs/*.md) as
-- a section-5 man page.
--
--   pandoc -s -f markdown -t man --lua-filter manpage.lua \
--     -M title=NAME -M section=5 -M description='one line' \
--     [-M synopsis='Markdown'] -M header=... -M footer=... IN.md -o OUT
--
-- docs/bundle-format.md and docs/policy-format.md are the one text of the
-- formats; pandoc reads the Markdown and writes the roff.  This filter only
-- gives the text the shape of a man page: the document's title gives way
-- to NAME (and SYNOPSIS) and DESCRIPTION, its "##" headings become
-- sections (.SH, upper case) and "###" subsections (.SS), links to the
-- other documents become page references, tables too wide for a terminal
-- become one item per row, and SEE ALSO closes the page.  The date is
-- SOURCE_DATE_EPOCH's (reproducible builds), as scdoc does for the
-- program pages.

local PAGES = {
  ["bundle-format.md"] = {"plantca-bundle", "5"},
  ["policy-format.md"] = {"plantca-policy", "5"},
}
local WIDE = 4 -- columns a table may have and still be a table

local function ref(name, section)
  return {pandoc.Strong({pandoc.Str(name)}), pandoc.Str("(" .. section .. ")")}
end

local function link(el)
  local file = el.target:gsub("#.*", "")
  local page = PAGES[file]
  local label = pandoc.utils.stringify(el.content)
  local what = page and ref(page[1], page[2]) or {pandoc.Code("docs/" .. file)}
  if label:match("%.md$") then
    return what
  end
  local out = el.content
  out:insert(pandoc.Space())
  out:insert(pandoc.Str("("))
  out:extend(what)
  out:insert(pandoc.Str(")"))
  return out
end

local function upper(inlines)
  return pandoc.walk_inline(pandoc.Span(inlines), {
    Str = function(s) return pandoc.Str(pandoc.text.upper(s.text)) end,
  }).content
end

local function cell_inlines(cell)
  return pandoc.utils.blocks_to_inlines(cell.contents)
end

-- a wide table as a list: "first cell: header: cell; header: cell; ..."
local function table_as_list(tbl)
  local head = tbl.head.rows[1].cells
  local items = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local item = pandoc.List({pandoc.Strong(cell_inlines(row.cells[1])), pandoc.Str(":")})
      for k = 2, #row.cells do
        item:insert(pandoc.Space())
        item:extend(cell_inlines(head[k]))
        item:extend({pandoc.Str(":"), pandoc.Space()})
        item:extend(cell_inlines(row.cells[k]))
        if k < #row.cells then
          item:insert(pandoc.Str(";"))
        end
      end
      items[#items + 1] = {pandoc.Plain(item)}
    end
  end
  return pandoc.BulletList(items)
end

-- pandoc sizes a wrapping table's columns by the dashes of its separator
-- line, over the whole line; on a terminal that cuts names and paths that
-- cannot be broken.  Each column gets at least its longest word, the rest
-- of the line goes where the text is longest.
local LINE = 70    -- groff's 78-column line on an 80-column terminal, less the
                   -- page's indent of 7 and one to spare
local PANDOC = 70  -- what pandoc's man writer makes of a width of 1.0
local GAP = 3      -- tbl's space between two columns

local function fit_columns(tbl)
  local n = #tbl.colspecs
  local want, least = {}, {}
  for k = 1, n do
    want[k], least[k] = 1, 1
  end
  local function measure(row)
    for k, cell in ipairs(row.cells) do
      local s = pandoc.utils.stringify(cell.contents)
      want[k] = math.max(want[k], utf8.len(s) or #s)
      for w in s:gmatch("%S+") do
        least[k] = math.max(least[k], utf8.len(w) or #w)
      end
    end
  end
  for _, row in ipairs(tbl.head.rows) do measure(row) end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do measure(row) end
  end
  local budget, sum_want, sum_least = LINE - GAP * (n - 1), 0, 0
  for k = 1, n do
    sum_want, sum_least = sum_want + want[k], sum_least + least[k]
  end
  local width = {}
  for k = 1, n do
    if sum_want <= budget then
      width[k] = want[k]
    elseif sum_least >= budget then
      width[k] = least[k]
    else
      width[k] = least[k] + (budget - sum_least) * (want[k] - least[k]) / (sum_want - sum_least)
    end
    tbl.colspecs[k] = {tbl.colspecs[k][1], math.floor(width[k]) / PANDOC}
  end
end

local function text(meta, key)
  if meta[key] == nil then
    error("manpage.lua: metadata '" .. key .. "' is not set")
  end
  return pandoc.utils.stringify(meta[key])
end

function Pandoc(doc)
  local meta = doc.meta
  local name, section = text(meta, "title"), text(meta, "section")
  local blocks = doc.blocks
  -- the document's title: NAME says what the page is
  if blocks[1] and blocks[1].t == "Header" and blocks[1].level == 1 then
    blocks:remove(1)
  end
  blocks = pandoc.walk_block(pandoc.Div(blocks), {
    Link = link,
    Table = function(t)
      if #t.colspecs > WIDE then
        return table_as_list(t)
      end
      fit_columns(t)
      return t
    end,
    Header = function(h)
      if h.level == 1 then
        error("manpage.lua: a second level-1 heading: " .. pandoc.utils.stringify(h))
      end
      if h.level > 3 then
        error("manpage.lua: heading level " .. h.level .. " is not used in a page: "
          .. pandoc.utils.stringify(h))
      end
      h.level = h.level - 1
      if h.level == 1 then
        h.content = upper(h.content)
      end
      return h
    end,
  }).content

  local front = pandoc.List({
    pandoc.Header(1, "NAME"),
    pandoc.Para({pandoc.Str(name), pandoc.Space(), pandoc.Str("-"), pandoc.Space(),
      pandoc.Str(text(meta, "description"))}),
  })
  if meta.synopsis ~= nil then
    front:insert(pandoc.Header(1, "SYNOPSIS"))
    front:extend(pandoc.read(text(meta, "synopsis"), "markdown").blocks)
  end
  front:insert(pandoc.Header(1, "DESCRIPTION"))
  blocks = front .. blocks

  local also = pandoc.List()
  for _, p in ipairs({{"plantca", "1"}, {"plantca-station", "1"},
                      {"plantca-bundle", "5"}, {"plantca-policy", "5"}}) do
    if p[1] ~= name then
      if #also > 0 then
        also:extend({pandoc.Str(","), pandoc.Space()})
      end
      also:extend(ref(p[1], p[2]))
    end
  end
  blocks:insert(pandoc.Header(1, "SEE ALSO"))
  blocks:insert(pandoc.Para(also))

  local epoch = tonumber(os.getenv("SOURCE_DATE_EPOCH") or "")
  meta.date = os.date("!%Y-%m-%d", epoch)
  -- left-aligned and unhyphenated, as scdoc writes the program pages:
  -- narrow table columns full of code cannot be justified, and a hyphen
  -- added to a name would read as part of it
  meta["header-includes"] = pandoc.MetaBlocks({pandoc.RawBlock("man", ".ad l\n.nh")})
  meta.description = nil
  meta.synopsis = nil
  return pandoc.Pandoc(blocks, meta)
end
