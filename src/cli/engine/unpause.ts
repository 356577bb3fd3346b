// `hako unpause CONTAINER...`: thaws what `pause` froze.
import { freezeCommand } from './pause.js';

export default freezeCommand(true);
